# The mechanism is tried through its first user, leader instructions: their world and clock.
from tests.instructions.conftest import office, traveller  # noqa: F401
