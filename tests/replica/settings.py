"""Settings of the child process that runs the app against a real streaming standby
(tests/test_read_replica.py): the test settings with routing to DATABASE_REPLICA_URL on."""

from amrutam.settings.base import DATABASE_REPLICA_URL, REPLICA_CONNECT_TIMEOUT, replica_config
from amrutam.settings.test import *  # noqa: F403
from amrutam.settings.test import DATABASES

assert DATABASE_REPLICA_URL, "DATABASE_REPLICA_URL names the standby"
DATABASES["replica"] = replica_config(
    DATABASES["default"], DATABASE_REPLICA_URL, REPLICA_CONNECT_TIMEOUT
)
READ_REPLICA = "replica"
