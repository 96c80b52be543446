"""Managers' hold and cancel alerts and the technician's day (issue 12; CONTRACT section 6).

- `watcher`: reads ServiceTitan's export feeds, turns rows into typed `events`, one active watcher (`lease`).
- `delivery`: managers' alerts to ALERT_CHANNEL and subscribers (`subscriptions`), quiet hours and digests.
- `dayplan`: the technicians' morning message and change messages. `cards`: their Block Kit.
- `service`: the wiring; `runtime`: running it in the bot and `python -m bot send-day-plans`.
"""
