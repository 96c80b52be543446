"""Read intents (show_job, list_notes, find_jobs, list_appointments, find_projects), one module each: the
look-up it makes in ServiceTitan, the answer it gives and how its rows read, together.

- registry.py: `READS` (intent -> Read), `read_lookup` (the Load a read asks the runner for, or the reply
  when it can't be made), `answer` (what the runner does for that Load) and the pages of an answer.
- common.py: what several reads share (the technician a read is about, a day range, who is on a visit).
- text.py: row text shared by several reads (a visit's line, ServiceTitan's HTML as plain text).
- named.py: the names a look-up is about as ids; wording.py: the filters the parser leaves out of a read;
  overview.py: a customer's open work ("whats going on with the garcias"), answered by find_jobs.

Only text helpers are imported here, so `bot.dialog.resolve` can use them without importing every read.
"""

from __future__ import annotations

from bot.dialog.reads.text import address_text, plain

__all__ = ["address_text", "plain"]
