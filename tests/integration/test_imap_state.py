"""Issue 9 item 8: 20+ concurrent sessions on a few shared mailboxes doing random APPEND, STORE
(with new keywords), COPY, MOVE, EXPUNGE, FETCH, SEARCH, IDLE and NOOP, each checking every
untagged response against its own model of the mailbox (imap_state.py). Zero inconsistencies
pass. bench/imap_state.sh runs the same workload for 10 minutes with 50 sessions."""
import os

import pytest

from imap_state import run, summary


@pytest.mark.slow
def test_concurrent_sessions_stay_consistent(kurier, user):
    seconds = float(os.environ.get("KURIER_STATE_SECONDS", "10"))
    sessions = int(os.environ.get("KURIER_STATE_SESSIONS", "24"))
    address, password = user
    errors = run(kurier.host, kurier.port("imap"), address, password, sessions=sessions, seconds=seconds)
    assert not errors, f"{len(errors) - 1} inconsistencies:\n" + summary(errors)
