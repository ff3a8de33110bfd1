import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_french_whatever_the_browser_asks(client, catalogue):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="fr">' in response.content.decode() and "Se connecter" in response.content.decode()


def test_a_visitor_who_chooses_english_gets_english(client, catalogue):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode() and "Log in" in response.content.decode()
