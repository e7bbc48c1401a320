// kurier: one binary for SMTP, LMTP, IMAP, POP3, ManageSieve and the web admin.
int main() { return 0; }
