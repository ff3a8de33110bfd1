"""An activity served by another site posts to the LRS from headless Chromium (CORS, preflight included)."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lms.models import Statement
from lms.xapi.launch import LaunchGrant, launch_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The activity's page, as an exported package does it: the LRS's address, the credential and the learner come
#: from its launch parameters; it sends one statement with fetch.
ACTIVITY = b"""<!doctype html><html lang="fr"><title>Activite</title><script>
async function send(id) {
  const launch = new URLSearchParams(location.search);
  const statement = {
    id: id, actor: JSON.parse(launch.get("actor")),
    verb: {id: "http://adlnet.gov/expapi/verbs/completed", display: {"fr-FR": "a termine"}},
    object: {id: launch.get("activity_id")}, context: {registration: launch.get("registration")},
  };
  const response = await fetch(launch.get("endpoint") + "statements", {
    method: "POST",
    headers: {"Authorization": launch.get("auth"), "X-Experience-API-Version": "1.0.3",
              "Content-Type": "application/json"},
    body: JSON.stringify(statement),
  });
  return {status: response.status, body: await response.json(),
          consistent: response.headers.get("X-Experience-API-Consistent-Through")};
}
</script></html>"""


@pytest.fixture
def other_site():
    """A second web server on another port: another origin than the live server's."""

    class Activity(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(ACTIVITY)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Activity)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def launched(live_server, other_site, settings):
    """The activity's address as a lesson launches it: a learner's launch credential for this site's LRS."""
    settings.LMS_SITE_URL = live_server.url
    grant = LaunchGrant(
        actor_name="learner-7",
        registration=str(uuid.uuid4()),
        activity_id="https://contenus.example.fr/act/1",
    )
    return launch_url(f"{other_site}/activity.html", grant)


def _send(page, address) -> tuple[str, object]:
    """Open the activity in Chromium and let it send a statement; return its id and what fetch gave."""
    page.goto(address)
    statement_id = str(uuid.uuid4())
    result = page.evaluate(f"send({json.dumps(statement_id)}).then((r) => r, (error) => String(error))")
    return statement_id, result


def test_an_activity_on_another_site_posts_its_learners_statement_from_the_browser(page, launched):
    statement_id, result = _send(page, launched)

    assert isinstance(result, dict), result  # not a fetch error
    assert result["status"] == 200, result
    assert result["body"] == [statement_id]
    assert result["consistent"]  # an exposed header: the script can read it
    stored = Statement.objects.get(statement_id=statement_id)
    assert stored.actor_name == "learner-7"


def test_the_browser_blocks_an_origin_the_setting_does_not_allow(page, launched, settings):
    settings.LMS_LRS_CORS_ORIGINS = ["https://contenus.example.fr"]

    statement_id, result = _send(page, launched)

    assert isinstance(result, str) and "TypeError" in result  # what fetch raises when CORS refuses
    assert not Statement.objects.filter(statement_id=statement_id).exists()
