"""The actor tests act as (actions that change data say who acts)."""

from competiscan.model import Actor

TESTER = Actor(name="tester", role="admin")
