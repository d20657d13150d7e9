"""The demo practice: a realistic, deterministic coaching practice in an empty database.

- `practice.py`: what every seeding step receives (`DemoPractice`: size, clients, one seeded
  random generator, the time) and the bulk-insert helper;
- `people.py`: the first step, coaches and clients with links and consent, and the demo logins;
- `registry.py`: `seed_demo`, which seeds the people and then runs `DEMO_STEPS`, the ordered
  list of the other domains' steps, each in its domain's own `demo.py`.
"""
