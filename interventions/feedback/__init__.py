"""The living catalogue: owners confirm or correct their entry by a signed link, anyone reports an
error or suggests an intervention, editors decide in the admin (ADR 0015).

Nothing submitted here is ever published directly: a correction, report or suggestion is a
`Proposal` until an editor accepts it.
"""
