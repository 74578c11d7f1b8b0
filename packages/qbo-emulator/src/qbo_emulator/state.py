"""Everything one emulator instance holds: config, realms, OAuth state, limiter, fault queue."""

from __future__ import annotations

import secrets
import threading

from fastapi import Request

from qbo_emulator.config import EmulatorConfig
from qbo_emulator.injection import FaultInjector
from qbo_emulator.limits import RealmLimiter
from qbo_emulator.realm import Environment, LoggedRequest, Realm
from qbo_emulator.seed import seed_realm
from qbo_emulator.tokens import TokenStore
from qbo_emulator.webhooks.hub import WebhookHub


class RealmExistsError(Exception):
    pass


def _new_realm_id(environment: Environment) -> str:
    # Sandbox company ids are 16-digit numbers starting 9130/9341; production ids are 15 digits.
    if environment == "sandbox":
        return "9341" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return "1231" + "".join(str(secrets.randbelow(10)) for _ in range(11))


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.initial_config = config
        self.config = config
        self.tokens = TokenStore(config)
        self.realms: dict[str, Realm] = {}
        # Requests to the token and revoke endpoints (no realm to file them under).
        self.oauth_log: list[LoggedRequest] = []
        self.limiter = RealmLimiter()
        self.injector = FaultInjector(config.random_seed)
        # Set by the server on shutdown so that withheld answers end promptly.
        self.closing = threading.Event()
        self.webhooks = WebhookHub()
        self.reset()

    def reset(self) -> None:
        """Back to start-up: initial config, no tokens, no faults, only the seed realm."""
        self.config = self.initial_config
        self.tokens = TokenStore(self.config)
        self.realms.clear()
        self.oauth_log.clear()
        self.limiter.reset()
        self.injector = FaultInjector(self.config.random_seed)
        self.webhooks.reset()
        if self.config.seed_realm:
            self.add_realm(
                self.config.seed_realm,
                company_name=self.config.seed_company_name,
                environment="sandbox",
            )

    def add_realm(
        self,
        realm_id: str | None = None,
        *,
        company_name: str | None = None,
        environment: Environment = "sandbox",
        country: str = "US",
    ) -> Realm:
        realm_id = realm_id or _new_realm_id(environment)
        if realm_id in self.realms:
            raise RealmExistsError(realm_id)
        name = company_name or f"Emulated {environment.title()} Company {realm_id[-4:]}"
        realm = seed_realm(realm_id, company_name=name, environment=environment, country=country)
        realm.listeners.append(self.webhooks.notify)
        self.realms[realm_id] = realm
        return realm

    def set_config(self, config: EmulatorConfig) -> None:
        if config.random_seed != self.config.random_seed:
            self.injector.reseed(config.random_seed)
        self.config = config
        self.tokens.set_config(config)


def get_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state
