"""The fault suite behind `scripts/faults`: a private stack on loopback
(`stack`), the data and database figures (`world`), simulated animators
(`client`) and one function per fault (`faults`). docs/reliability.md says
what each fault does and what passing means."""
