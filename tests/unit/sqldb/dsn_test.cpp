// DSN parsing (sqldb/dsn.h).
#include <gtest/gtest.h>

#include "sqldb/dsn.h"

using namespace kurier::sqldb;

TEST(Dsn, MariadbWithEverything) {
  Dsn d = parse_dsn("mariadb://kurier:secret@127.0.0.1:3307/mail?sslmode=verify-ca&sslrootcert=/etc/ca.pem&pool_size=4");
  EXPECT_EQ(d.dialect, Dialect::mariadb);
  EXPECT_EQ(d.user, "kurier");
  EXPECT_EQ(d.password, "secret");
  EXPECT_EQ(d.host, "127.0.0.1");
  EXPECT_EQ(d.port, 3307);
  EXPECT_EQ(d.database, "mail");
  EXPECT_EQ(d.sslmode, "verify-ca");
  EXPECT_EQ(d.sslrootcert, "/etc/ca.pem");
  EXPECT_EQ(d.pool_size, 4u);
  EXPECT_EQ(d.connect_timeout, 5);
}

TEST(Dsn, SchemesAndDefaultPorts) {
  EXPECT_EQ(parse_dsn("mysql://u@h/db").dialect, Dialect::mariadb);
  EXPECT_EQ(parse_dsn("mysql://u@h/db").port, 3306);
  EXPECT_EQ(parse_dsn("postgres://u@h/db").dialect, Dialect::postgresql);
  Dsn pg = parse_dsn("postgresql://h/db");
  EXPECT_EQ(pg.port, 5432);
  EXPECT_EQ(pg.user, "");
  EXPECT_EQ(pg.password, "");
  EXPECT_EQ(pg.host, "h");
}

TEST(Dsn, PercentEncodedPartsAreDecoded) {
  Dsn d = parse_dsn("postgresql://us%40er:p%40ss%3Aw%2Fd%25@db.example:5433/my%20db?sslmode=require");
  EXPECT_EQ(d.user, "us@er");
  EXPECT_EQ(d.password, "p@ss:w/d%");
  EXPECT_EQ(d.database, "my db");
  EXPECT_EQ(d.sslmode, "require");
  Dsn plus = parse_dsn("mariadb://u:a+b@h/db");
  EXPECT_EQ(plus.password, "a+b");
  Dsn colon = parse_dsn("mariadb://u:a:b@h/db");  // the first ':' splits user from password
  EXPECT_EQ(colon.password, "a:b");
}

TEST(Dsn, Ipv6AndSockets) {
  Dsn d = parse_dsn("postgresql://u:p@[::1]:6000/db");
  EXPECT_EQ(d.host, "::1");
  EXPECT_EQ(d.port, 6000);
  EXPECT_EQ(parse_dsn("postgresql://u@[fe80::1]/db").port, 5432);
  Dsn s = parse_dsn("mariadb://u:p@/db?socket=/run/mysqld/mysqld.sock");
  EXPECT_EQ(s.host, "");
  EXPECT_EQ(s.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(parse_dsn("postgresql:///db?host=/var/run/postgresql").socket, "/var/run/postgresql");
}

TEST(Dsn, BadDsnsAreRefusedWithoutEchoingThePassword) {
  const char* bad[] = {
      "kurier.db",                                  // no scheme
      "sqlite://x/db",                              // not a server
      "mariadb://u:p@h",                            // no database
      "mariadb://u:p@h/",                           // empty database
      "mariadb://u:p@h:99999/db",                   // port out of range
      "mariadb://u:p@h:33a/db",                     // port not a number
      "postgresql://u:p@[::1/db",                   // unclosed IPv6
      "postgresql://u:p@h/db?sslmode=maybe",        // unknown sslmode
      "postgresql://u:p@h/db?ssl_mode=require",     // unknown parameter: a typo must not drop TLS
      "postgresql://u:p@h/db?sslmode",              // parameter without a value
      "postgresql://u:p%4@h/db",                    // broken percent-encoding
      "postgresql://u:p%zz@h/db",
      "mariadb://u:p@h/db?pool_size=0",
  };
  for (const char* text : bad) {
    try {
      parse_dsn(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("p%"), std::string::npos) << e.what();
    }
  }
}

TEST(Dsn, RedactedHidesThePassword) {
  EXPECT_EQ(redacted(parse_dsn("mariadb://kurier:s3cret@127.0.0.1/mail?sslmode=require")),
            "mariadb://kurier:***@127.0.0.1:3306/mail?sslmode=require");
  EXPECT_EQ(redacted(parse_dsn("postgresql://u@[::1]:5/db")), "postgresql://u@[::1]:5/db");
}
