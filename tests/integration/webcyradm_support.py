"""A Web-cyradm 0.5 database as the seed ran it (tables domain, accountuser, adminuser,
domainadmin, virtual, settings; Web-cyradm's scripts/create.sql for MySQL), filled with the
HOWTO's rows (admin/test, domainadmin '*', accountuser cyrus/secret) and a prefix domain whose
accounts test0001... have the password schemes Web-cyradm could write: plaintext ($CRYPT=0),
MD5-crypt, MySQL PASSWORD() and DES crypt."""
import warnings

with warnings.catch_warnings():  # deprecated since 3.11, still the simplest way to write them
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

SCHEMA = """
CREATE TABLE accountuser (
  username varchar(255) binary NOT NULL default '',
  password varchar(50) binary NOT NULL default '',
  prefix varchar(50) NOT NULL default '',
  domain_name varchar(255) NOT NULL default '',
  imap int(10) NOT NULL default '1',
  pop int(10) NOT NULL default '1',
  sieve int(10) NOT NULL default '1',
  smtpauth int(10) NOT NULL default '1',
  UNIQUE KEY username (username)
);
CREATE TABLE adminuser (
  username varchar(50) binary NOT NULL default '',
  password varchar(50) binary NOT NULL default '',
  type int(11) NOT NULL default '0',
  SID varchar(255) NOT NULL default '',
  home varchar(255) NOT NULL default '',
  PRIMARY KEY (username)
);
CREATE TABLE domain (
  domain_name varchar(255) NOT NULL default '',
  prefix varchar(50) NOT NULL default '',
  maxaccounts int(11) NOT NULL default '20',
  quota int(10) NOT NULL default '20000',
  domainquota int(10) NOT NULL default '0',
  transport varchar(255) NOT NULL default 'cyrus',
  freenames enum('YES','NO') NOT NULL default 'NO',
  freeaddress enum('YES','NO') NOT NULL default 'NO',
  folders varchar(255) NOT NULL default '',
  PRIMARY KEY (domain_name),
  UNIQUE KEY prefix (prefix)
);
CREATE TABLE domainadmin (
  domain_name varchar(255) NOT NULL default '',
  adminuser varchar(255) NOT NULL default ''
);
CREATE TABLE virtual (
  alias varchar(255) NOT NULL default '',
  dest longtext,
  username varchar(50) NOT NULL default '',
  status int(11) NOT NULL default '1',
  KEY alias (alias)
);
CREATE TABLE settings (
  username varchar(50) binary NOT NULL default '',
  style varchar(50) NOT NULL default 'default',
  maxdisplay int(4) NOT NULL default '15',
  warnlevel int(3) NOT NULL default '90',
  PRIMARY KEY (username)
);
"""

# login -> (password as typed, as stored)
ACCOUNTS = {
    "test0001": ("one-secret", "one-secret"),                                  # plaintext
    "test0002": ("two-secret", crypt.crypt("two-secret", "$1$webcyrad$")),     # MD5-crypt
    "test0003": ("three-secret", None),                                        # MySQL PASSWORD(), below
}


def sample_rows():
    rows = [
        "INSERT INTO adminuser (username, password) VALUES ('admin', 'test')",
        "INSERT INTO domainadmin (domain_name, adminuser) VALUES ('*', 'admin')",
        "INSERT INTO accountuser (username, password) VALUES ('cyrus', 'secret')",
        "INSERT INTO settings (username) VALUES ('admin')",
        "INSERT INTO domain (domain_name, prefix, maxaccounts, quota) VALUES ('prefix.test', 'test', 50, 20000)",
    ]
    for login, (typed, stored) in ACCOUNTS.items():
        value = f"'{stored}'" if stored else f"PASSWORD('{typed}')"
        rows.append(f"INSERT INTO accountuser (username, password, prefix, domain_name) "
                    f"VALUES ('{login}', {value}, 'test', 'prefix.test')")
    rows += [
        "INSERT INTO virtual (alias, dest, username) VALUES ('alice@prefix.test', 'test0001', 'test0001')",
        "INSERT INTO virtual (alias, dest, username) VALUES ('bob@prefix.test', 'test0002', 'test0002')",
        "INSERT INTO virtual (alias, dest, username) VALUES ('carol@prefix.test', 'test0003', 'test0003')",
        "INSERT INTO virtual (alias, dest, username) VALUES ('info@prefix.test', 'test0001,bob@prefix.test', 'test0001')",
        "INSERT INTO virtual (alias, dest, username) VALUES ('@prefix.test', 'test0003', 'test0003')",
        "INSERT INTO virtual (alias, dest, username, status) VALUES ('old@prefix.test', 'test0001', 'test0001', 0)",
    ]
    return ";\n".join(rows) + ";\n"


def create(server):
    """A Web-cyradm database on a db_support MariaDB; returns its DSN."""
    dsn = server.create_database()
    database = dsn.split("?")[0].rsplit("/", 1)[1]
    server.sql(SCHEMA + sample_rows(), database=database)
    return dsn
