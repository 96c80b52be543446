"""The dialog engine: turns what a person says or clicks into safe, confirmed changes in ServiceTitan.

Layout (see shared/STYLE.md, "Dialog as explicit, pure transitions"):
- messages.py: the events and replies shared with the surfaces (Slack, console demo), and the Dialog protocol.
- state.py: the stored Conversation, the effects `step` returns and the results fed back to it.
- writes/: one module per write intent (`writes/<intent>.py`: its steps, correctable slots, questions,
  words, status rules, and `plan`, which builds the card and the typed ServiceTitan operation it sends).
- catalog.py: the tables: read intents, questions with examples, roles, help; views of the write modules.
- rules.py: pure matching (technicians, reasons, options) and the scheduling rules; timefmt.py: dates as
  people read them, in their time zone.
- resolve.py: settles a pending write step by step against the ServiceTitan data looked up so far, then
  asks its write module for the plan (before -> after) that the confirmation shows.
- understand.py: reads the user's turn (text, a click, a picked date) into a typed answer (answers.py).
- engine.py: `step(state, event, now) -> (state, effects)`, pure: moves between phases on the answer, as
  phases.py's table says; settle.py settles a pending write against the data looked up so far and says the
  next thing; replies.py builds the replies (the card, a result, help).
- reads/: one module per read intent (its look-up, answer and rows); reads/registry.py lists them.
- refdata.py: reference lists, job facts and help's examples, cached; lookups.py: what a write looks up
  before its card; named_job.py: the job a write names by its customer, address or type ("the panel
  upgrade for jessica young"); reasons.py: hold and cancel reasons by their meaningful words;
  undofacts.py: the facts of an undo card.
- runner.py: the one boundary that talks to ServiceTitan: performs Load (through reads, lookups, refdata)
  and the writes (each a typed operation of bot/servicetitan/operations.py).
- relative.py: times said relative to the visit ("push back an hour", "the day after"); compound.py: two
  requests in one message ("… and assign mike chen"), the second offered after the first is done;
  drift.py: what changed since a card was made; notices.py: a technician's "running late" to the office.
- service.py: `DialogService`, the Dialog protocol: load, step, run effects, save; the compare-and-set that
  makes a confirm apply exactly once.

Nothing is imported here, so surfaces can import `bot.dialog.messages` without the engine.
"""
