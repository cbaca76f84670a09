"""The Bot Framework connector client: posts activities to a conversation at its serviceUrl, with the bot's token.

Replies are posted straight to the conversation's serviceUrl over one kept-alive HTTP session, rather than
through a connector client built per turn. Every post goes only to an allowed serviceUrl (service_url.py), and
redirects are not followed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.channels.teams.service_url import allowed
from bot.config import Settings
from bot.runtime.outbox import SendFailed

# Teams answers these when it wants us to slow down or try again.
RETRYABLE = {412, 429, 502, 503, 504}


class TeamsConnector:
    """Posts activities to a conversation on the Bot Framework connector (serviceUrl), with the bot's token."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        self._credentials: Any = None

    async def start(self) -> None:
        """Open the one HTTP session every post reuses."""
        # No redirects: a connector that answers 3xx must not steer the bot to another address.
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self.session is not None:
            await self.session.close()

    async def _token(self) -> str | None:
        if not self.settings.microsoft_app_id:
            return None  # the Emulator needs no token
        if self._credentials is None:
            from botframework.connector.auth import MicrosoftAppCredentials

            tenant = (
                self.settings.microsoft_app_tenant_id if self.settings.microsoft_app_type == "SingleTenant" else None
            )
            self._credentials = MicrosoftAppCredentials(
                self.settings.microsoft_app_id, self.settings.microsoft_app_password, channel_auth_tenant=tenant
            )
        # msal caches the token; a refresh (about hourly) is a blocking call, so it runs in a thread.
        return str(await asyncio.to_thread(self._credentials.get_access_token))

    async def _send(self, service_url: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to the connector at serviceUrl + path; the answer's JSON, or SendFailed."""
        assert self.session is not None, "TeamsConnector.start() first"
        if not allowed(service_url, emulator=self.settings.teams_emulator):
            raise SendFailed("teams: serviceUrl is not a Bot Framework host; not posted", permanent=True)
        headers = {"Content-Type": "application/json"}
        try:
            token = await self._token()
        except Exception as exc:  # the token service is down or refused: retry later, never a 500
            raise SendFailed(f"teams token: {type(exc).__name__}") from None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self.session.post(
                f"{service_url.rstrip('/')}{path}", data=json.dumps(payload), headers=headers, allow_redirects=False
            ) as response:
                if response.status < 300:
                    answer = await response.json(content_type=None) if response.content_length != 0 else {}
                    return answer if isinstance(answer, dict) else {}
                retry_after = response.headers.get("Retry-After")
                raise SendFailed(
                    f"teams {response.status}",
                    retry_after=_seconds(retry_after),
                    permanent=response.status not in RETRYABLE,
                )
        except (aiohttp.ClientError, TimeoutError, OSError, json.JSONDecodeError, ValueError) as exc:
            raise SendFailed(f"network: {type(exc).__name__}") from None

    async def post(self, reference: dict[str, Any], body: dict[str, Any], *, reply_to: str | None = None) -> None:
        """Post one activity into the referenced conversation; raise SendFailed on failure."""
        conversation = reference["conversation"]["id"]
        path = f"/v3/conversations/{conversation}/activities" + (f"/{reply_to}" if reply_to else "")
        payload = {
            **body,
            "from": reference.get("bot"),
            "conversation": reference.get("conversation"),
            "replyToId": reply_to,
        }
        if reference.get("user"):
            payload["recipient"] = reference["user"]
        await self._send(str(reference["serviceUrl"]), path, payload)

    async def open_personal(self, reference: dict[str, Any], user: dict[str, Any], tenant: str) -> dict[str, Any]:
        """Create (or get back) the personal chat between the bot and one user; its ConversationReference.

        The connector answers with the existing chat when there is one. Teams answers 403 when the app is not
        installed for that user; that is SendFailed(permanent).
        """
        member = {key: user[key] for key in ("id", "aadObjectId") if isinstance(user.get(key), str)}
        request = {
            "bot": reference.get("bot"),
            "members": [member],
            "isGroup": False,
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        answer = await self._send(str(reference["serviceUrl"]), "/v3/conversations", request)
        conversation = answer.get("id")
        if not isinstance(conversation, str) or not conversation:
            raise SendFailed("teams: no conversation id in the answer", permanent=True)
        return {
            **reference,
            "activityId": None,
            "user": member,
            "conversation": {"id": conversation, "conversationType": "personal", "tenantId": tenant},
        }


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None
