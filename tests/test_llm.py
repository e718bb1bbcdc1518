"""The assisted grouping (synthesis/llm.py) against a fake OpenAI-compatible
server on loopback (tests/llm_server.py): the client, validation, retries,
cache, budget, long questions and `evaluate_drafting --backend llm`."""

import io
import json
import socket
import time

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from synthesis import llm, similarity
from synthesis.llm import LlmError, Note
from synthesis.models import LlmGrouping

from .llm_server import FakeLlm, Request, completion, partition, slow, status

pytestmark = pytest.mark.django_db

QUESTION = "Quels freins avez-vous rencontrés avec les jeunes du quartier ?"
NOTES = [
    Note(1, "Pas assez de **soutien politique** local", 1, ("Gouvernance",)),
    Note(2, "Le manque de portage politique local", 2),
    Note(3, "Le confinement a coupé le lien avec les familles", 3, ("Santé", "Jeunesse")),
    Note(4, "Trop de turn-over chez les partenaires", 4),
]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # httpx honours the proxy variables: a loopback request must not go through one.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def server(settings):
    fake = FakeLlm().start()
    settings.LLM_BASE_URL = fake.url
    settings.LLM_MODEL = "fake-model"
    settings.LLM_API_KEY = ""
    settings.LLM_TIMEOUT = 2.0
    settings.LLM_MAX_NOTES = 80
    settings.LLM_RETRY_BASE = 0.01
    yield fake
    fake.stop()


@pytest.fixture
def waits(monkeypatch):
    """The client's pauses between attempts, recorded instead of slept."""
    paused: list[float] = []
    monkeypatch.setattr(llm, "sleep", paused.append)
    return paused


@pytest.fixture
def lexical(settings):
    """The offline similarity without the sentence encoders: fast to load."""
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


# --- Settings ------------------------------------------------------------------------


def test_it_is_configured_only_with_a_base_url_and_a_model(settings):
    settings.LLM_BASE_URL, settings.LLM_MODEL = "http://127.0.0.1:1/v1", ""
    assert not llm.configured()
    settings.LLM_MODEL = "mistral-small"
    assert llm.configured() and llm.label() == "modèle mistral-small"
    settings.LLM_BASE_URL = ""
    assert not llm.configured()


def test_the_prompt_file_has_a_version_and_french_instructions():
    prompt = llm.prompt()
    assert prompt["version"].startswith("grouping-")
    assert "même idée" in prompt["system"] and "JSON" in prompt["system"]
    assert "$notes" in prompt["user"] and "$question" in prompt["user"]


# --- A valid answer ------------------------------------------------------------------


def test_a_valid_partition_is_returned_with_its_labels(server):
    server.reply(
        partition([[3], [2, 1], [4]], ["  Le confinement ", "Manque de soutien politique", ""])
    )
    result = llm.partition(QUESTION, NOTES)
    assert result.groups == [[1, 2], [3], [4]]  # in the notes' order
    assert result.labels == ["Manque de soutien politique", "Le confinement", None]
    assert (result.model, result.prompt_version) == ("fake-model", llm.prompt()["version"])
    assert not result.cached and result.calls == 1


def test_the_request_asks_for_a_strict_json_schema_at_temperature_0(server):
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "fake-model" and request.body["temperature"] == 0
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["required"] == ["groups"]


def test_the_request_sends_only_ids_texts_groups_and_themes(server):
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    (request,) = server.requests
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert QUESTION in request.body["messages"][1]["content"]
    assert request.notes == [
        {
            "id": 1,
            "text": "Pas assez de soutien politique local",
            "group": 1,
            "themes": ["Gouvernance"],
        },
        {"id": 2, "text": "Le manque de portage politique local", "group": 2},
        {
            "id": 3,
            "text": "Le confinement a coupé le lien avec les familles",
            "group": 3,
            "themes": ["Santé", "Jeunesse"],
        },
        {"id": 4, "text": "Trop de turn-over chez les partenaires", "group": 4},
    ]
    assert all(set(note) <= {"id", "text", "group", "themes"} for note in request.notes)


def test_the_api_key_is_sent_as_a_bearer_token(server, settings):
    settings.LLM_API_KEY = "sk-test"
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"


def test_no_authorization_header_is_sent_without_a_key(server):
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    assert "authorization" not in server.requests[0].headers


def test_an_answer_in_a_json_fence_is_accepted(server):
    fenced = '```json\n{"groups": [{"ids": [1, 2], "label": null}, {"ids": [3, 4]}]}\n```'
    server.reply(completion(fenced))
    assert llm.partition(QUESTION, NOTES).groups == [[1, 2], [3, 4]]


def test_a_long_label_is_cut(server):
    server.reply(partition([[1, 2, 3, 4]], ["mot " * 60]))
    (label,) = llm.partition(QUESTION, NOTES).labels
    assert len(label) <= llm.LABEL_MAX and label.endswith("…")


def test_a_single_note_needs_no_request(server):
    result = llm.partition(QUESTION, NOTES[:1])
    assert result.groups == [[1]] and result.calls == 0 and not server.requests


# --- Invalid answers -----------------------------------------------------------------


def test_a_partition_missing_an_id_is_asked_again_once(server):
    server.reply(partition([[1, 2], [3]]), partition([[1, 2], [3], [4]]))
    result = llm.partition(QUESTION, NOTES)
    assert result.groups == [[1, 2], [3], [4]] and result.calls == 2
    retry = server.requests[1].body["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "identifiants absents : 4" in retry[3]["content"]


def test_ids_left_out_twice_raise_rather_than_being_added(server):
    server.reply(partition([[1, 2], [3]]), partition([[1, 2], [3]]))
    with pytest.raises(LlmError, match="invalide deux fois de suite"):
        llm.partition(QUESTION, NOTES)
    assert len(server.requests) == 2
    assert not LlmGrouping.objects.exists()


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (completion("Voici les groupes : 1 et 2 ensemble, 3, 4."), "pas du JSON valide"),
        (completion('{"groups": [{"ids": [1, 2], "label": null'), "pas du JSON valide"),
        (completion('{"clusters": [[1, 2], [3], [4]]}'), '{"groups": [...]}'),
        (completion('{"groups": [[1, 2], [3], [4]]}'), 'liste "ids"'),
        (partition([[1, 2], [3], [4, 99]]), "identifiants inconnus : 99"),
        (partition([[1, 2], [2, 3], [4]]), "identifiants répétés : 2"),
        (completion('{"groups": [{"ids": [1, 2, 3, 4.5]}]}'), "4.5 n'est pas un identifiant"),
    ],
)
def test_an_invalid_answer_is_asked_again_with_what_was_wrong(server, answer, complaint):
    server.reply(answer, partition([[1, 2], [3], [4]]))
    assert llm.partition(QUESTION, NOTES).groups == [[1, 2], [3], [4]]
    assert complaint in server.requests[1].body["messages"][3]["content"]


def test_a_reply_without_a_message_counts_as_invalid(server):
    server.reply(status(200, "no choices"), status(200, "still none"))
    with pytest.raises(LlmError, match="invalide"):
        llm.partition(QUESTION, NOTES)


# --- Retries -------------------------------------------------------------------------


def test_a_429_is_retried_after_its_retry_after(server, waits):
    server.reply(status(429, "rate limited", retry_after=0.5), partition([[1, 2], [3], [4]]))
    result = llm.partition(QUESTION, NOTES)
    assert result.groups == [[1, 2], [3], [4]] and result.calls == 2
    assert waits == [0.5]


def test_a_long_retry_after_is_capped_at_30_seconds(server, waits):
    server.reply(status(429, retry_after=3600), partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    assert waits == [30.0]


def test_server_errors_are_retried_with_exponential_backoff(server, waits):
    server.reply(status(500), status(503), partition([[1, 2], [3], [4]]))
    result = llm.partition(QUESTION, NOTES)
    assert result.groups == [[1, 2], [3], [4]] and result.calls == 3
    assert waits == [0.01, 0.02]


def test_three_server_errors_raise(server, waits):
    server.reply(status(500), status(502), status(500))
    with pytest.raises(LlmError, match=r"en erreur \(HTTP 500\)"):
        llm.partition(QUESTION, NOTES)
    assert len(server.requests) == 3


def test_three_429_raise(server, waits):
    server.reply(status(429), status(429), status(429))
    with pytest.raises(LlmError, match="saturé"):
        llm.partition(QUESTION, NOTES)


def test_a_server_slower_than_the_timeout_raises_after_three_attempts(server, settings):
    settings.LLM_TIMEOUT = 0.2
    server.reply(slow(2), slow(2), slow(2))
    started = time.monotonic()
    with pytest.raises(LlmError, match="n'a pas répondu dans les temps"):
        llm.partition(QUESTION, NOTES)
    assert len(server.requests) == 3
    assert time.monotonic() - started < 1.5  # three timeouts, not three slow answers


def test_a_slow_answer_then_a_fast_one_succeeds(server, settings):
    settings.LLM_TIMEOUT = 0.2
    server.reply(slow(2), partition([[1, 2], [3], [4]]))
    assert llm.partition(QUESTION, NOTES).calls == 2


def test_an_unreachable_server_raises(settings, waits):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LLM_BASE_URL, settings.LLM_MODEL = f"http://127.0.0.1:{port}/v1", "fake-model"
    with pytest.raises(LlmError, match="injoignable"):
        llm.partition(QUESTION, NOTES)
    assert len(waits) == 2


def test_a_server_that_knows_no_json_schema_is_asked_without_it(server):
    server.reply(
        status(400, "Unrecognized request argument supplied: response_format"),
        partition([[1, 2], [3], [4]]),
    )
    result = llm.partition(QUESTION, NOTES)
    assert result.groups == [[1, 2], [3], [4]] and result.calls == 2
    first, second = (r.body for r in server.requests)
    assert "response_format" in first and "response_format" not in second
    assert first["messages"] == second["messages"]


def test_the_request_without_json_schema_is_kept_for_the_retry_of_an_invalid_answer(server):
    server.reply(status(400, "response_format is not supported"), partition([[1]]))
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    assert [("response_format" in r.body) for r in server.requests] == [True, False, False]


def test_another_client_error_is_not_retried(server):
    server.reply(status(401, "invalid api key"))
    with pytest.raises(LlmError, match=r"refusé la requête \(HTTP 401\)"):
        llm.partition(QUESTION, NOTES)
    assert len(server.requests) == 1


# --- Cache and budget ----------------------------------------------------------------


def test_the_same_notes_are_never_sent_twice(server):
    server.reply(partition([[1, 2], [3], [4]], ["Soutien politique", None, None]))
    first = llm.partition(QUESTION, NOTES)
    again = llm.partition(QUESTION, list(reversed(NOTES)))  # the same set, in another order
    assert len(server.requests) == 1
    assert again.cached and again.calls == 0
    assert again.groups == [[4], [3], [2, 1]]  # in the order of the notes given
    assert again.labels == [None, None, "Soutien politique"] and first.groups == [[1, 2], [3], [4]]
    stored = LlmGrouping.objects.get()
    assert (stored.model, stored.prompt_version) == ("fake-model", llm.prompt()["version"])


@pytest.mark.parametrize(
    "change",
    ["text", "group", "model", "question"],
)
def test_a_change_of_note_model_or_question_asks_again(server, settings, change):
    server.reply(partition([[1, 2], [3], [4]]), partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    notes, question = list(NOTES), QUESTION
    if change == "text":
        notes[3] = Note(4, "Trop de départs chez les partenaires", 4)
    elif change == "group":
        notes[3] = Note(4, NOTES[3].text, 5)
    elif change == "model":
        settings.LLM_MODEL = "other-model"
    else:
        question = "Quels leviers ?"
    assert not llm.partition(question, notes).cached
    assert len(server.requests) == 2


def test_an_exhausted_budget_sends_nothing(server):
    with pytest.raises(LlmError, match="budget d'appels"):
        llm.partition(QUESTION, NOTES, spend=lambda: False)
    assert not server.requests


def test_every_request_is_spent_retries_included(server, waits):
    spent = []

    def spend():
        spent.append(1)
        return len(spent) <= 2

    server.reply(status(500), status(500), partition([[1, 2], [3], [4]]))
    with pytest.raises(LlmError, match="budget d'appels"):
        llm.partition(QUESTION, NOTES, spend=spend)
    assert len(server.requests) == 2 and len(spent) == 3


def test_a_cached_partition_spends_nothing(server):
    server.reply(partition([[1, 2], [3], [4]]))
    llm.partition(QUESTION, NOTES)
    assert llm.partition(QUESTION, NOTES, spend=lambda: False).cached


# --- Long questions ------------------------------------------------------------------

LONG = [
    Note(1, "Pas assez de soutien politique local", 1),
    Note(2, "Le manque de soutien politique local", 2),
    Note(3, "Le confinement a coupé le lien avec les familles", 3),
    Note(4, "Le confinement a coupé le lien avec les jeunes", 4),
    Note(5, "Les jeunes ne viennent pas aux réunions du soir", 5),
    Note(6, "Les ados ne viennent pas aux réunions du soir", 1),
    Note(7, "Un budget participatif pour les habitants", 2),
    Note(8, "Trop de turn-over chez les partenaires", 3),
    Note(9, "Des chantiers rémunérés avec la régie", 4),
    Note(10, "Pas de salle le samedi", 5),
]
SAME_IDEA = [{1, 2}, {3, 4}, {5, 6}]


def each_note_alone(request: Request):
    """A model that groups nothing in the part it is shown."""
    ids = [note["id"] for note in request.notes]
    return partition([[i] for i in ids], [f"idée {i}" for i in ids])


def test_a_long_question_is_asked_in_parts_then_joined_by_similarity(server, settings, lexical):
    settings.LLM_MAX_NOTES = 4
    server.reply(each_note_alone, each_note_alone, each_note_alone)
    result = llm.partition(QUESTION, LONG)
    parts = [{note["id"] for note in r.notes} for r in server.requests]
    assert len(parts) == 3 and all(len(part) <= 4 for part in parts)
    assert set().union(*parts) == set(range(1, 11))
    # Each pair of paraphrases was split between two parts...
    assert not any(pair <= part for pair in SAME_IDEA for part in parts)
    # ...and joined again.
    assert sorted(map(sorted, result.groups)) == [[1, 2], [3, 4], [5, 6], [7], [8], [9], [10]]
    assert result.calls == 3 and len(result.labels) == 7


def test_the_parts_share_out_each_working_groups_notes(server, settings):
    settings.LLM_MAX_NOTES = 4
    server.reply(each_note_alone, each_note_alone, each_note_alone)
    nothing_close = np.zeros((len(LONG), len(LONG)))
    llm.partition(QUESTION, LONG, similarities=lambda: nothing_close)
    for request in server.requests:
        groups = [note["group"] for note in request.notes]
        assert len(groups) == len(set(groups))  # two notes per group, in different parts


def test_joining_parts_keeps_notes_of_one_working_group_apart(server, settings):
    settings.LLM_MAX_NOTES = 2
    notes = [Note(1, "a", 1), Note(2, "b", 2), Note(3, "c", 1), Note(4, "d", 3)]
    # Parts, by working group then order: [1, 2] and [3, 4].
    server.reply(partition([[1, 2]], ["Deux notes"]), partition([[3], [4]], [None, "Une note"]))
    sims = np.full((4, 4), 3.0)  # everything close
    result = llm.partition(QUESTION, notes, similarities=lambda: sims)
    # 3 (group 1) cannot join 1 (group 1); 4 joins the larger group, whose label stays.
    assert result.groups == [[1, 2, 4], [3]]
    assert result.labels == ["Deux notes", None]


def test_groups_of_one_part_are_not_joined(server, settings):
    settings.LLM_MAX_NOTES = 2
    notes = [Note(1, "a", 1), Note(2, "b", 2), Note(3, "c", 3), Note(4, "d", 4)]
    server.reply(partition([[1], [3]]), partition([[2], [4]]))
    sims = np.full((4, 4), 3.0)
    result = llm.partition(QUESTION, notes, similarities=lambda: sims)
    assert [[n["id"] for n in r.notes] for r in server.requests] == [[1, 3], [2, 4]]
    assert result.groups == [[1, 2], [3, 4]]  # never [1, 3] nor [2, 4]


# --- manage.py evaluate_drafting --backend llm ---------------------------------------


def tiny_eval(tmp_path):
    notes = [
        {"group": 1, "cluster": "pol", "text": "Pas assez de soutien politique local"},
        {"group": 2, "cluster": "pol", "text": "Le manque de portage politique local"},
        {"group": 3, "cluster": "chantiers", "text": "Les jeunes participent aux chantiers"},
        {"group": 4, "cluster": "chantiers", "text": "Des chantiers jeunes rémunérés"},
        {"group": 5, "cluster": "covid", "text": "Le confinement a coupé le lien"},
    ]
    path = tmp_path / "eval.json"
    question = {"question": QUESTION, "kind": "obstacle", "notes": notes}
    path.write_text(json.dumps({"questions": [question]}), encoding="utf-8")
    return path


def test_evaluate_drafting_scores_the_model(server, tmp_path, lexical):
    server.reply(partition([[0, 1], [2, 3], [4]]))  # note ids are the indices
    out = io.StringIO()
    call_command(
        "evaluate_drafting", str(tiny_eval(tmp_path)), "--backend", "llm", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["ari"] == 1.0 and result["llm_fallbacks"] == 0
    assert result["backend"].startswith("modèle fake-model")
    assert result["questions"][0]["clusters"] == 3
    assert server.requests[0].notes[0] == {
        "id": 0,
        "text": "Pas assez de soutien politique local",
        "group": 1,
    }


def test_evaluate_drafting_falls_back_offline_on_a_failing_question(server, tmp_path, lexical):
    server.reply(status(401))
    out = io.StringIO()
    call_command("evaluate_drafting", str(tiny_eval(tmp_path)), "--backend", "llm", stdout=out)
    assert "1 question(s) regroupée(s) hors ligne" in out.getvalue()


def test_evaluate_drafting_with_no_model_configured_says_so(settings, tmp_path):
    settings.LLM_BASE_URL = settings.LLM_MODEL = ""
    with pytest.raises(CommandError, match="Aucun modèle de langage n'est configuré"):
        call_command("evaluate_drafting", str(tiny_eval(tmp_path)), "--backend", "llm")
