"""manage.py evaluate_drafting FILE [--json] [--backend semantic|lexical|llm]: how
close the draft's grouping comes to a coordinator's (synthesis/evaluation.py).
"llm" asks the configured language model (synthesis/llm.py) for the groups."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from synthesis import evaluation, llm, similarity


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (--help would crash).
    help = (
        "Compare le regroupement du brouillon à celui d'un·e coordinateur·rice sur un fichier "
        "d'évaluation (format de shared/eval/drafting-dev.json) : indice de Rand ajusté, "
        "nombre d'énoncés, précision des 10 meilleurs rapprochements suggérés, par question "
        "et en moyenne, avec le repli lexical pour comparaison."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="fichier JSON d'évaluation")
        parser.add_argument("--json", action="store_true", help="un seul objet JSON en sortie")
        parser.add_argument(
            "--backend",
            choices=["semantic", "lexical", "llm"],
            help="moteur à évaluer (par défaut : celui des réglages) ; llm : le modèle de "
            "langage configuré (LLM_BASE_URL, LLM_MODEL), avec les similarités des réglages",
        )

    def handle(self, *args, file: str, backend: str | None, **options) -> None:
        assisted = backend == "llm"
        if assisted and not llm.configured():
            raise CommandError(
                "Aucun modèle de langage n'est configuré : renseignez LLM_BASE_URL et LLM_MODEL."
            )
        try:
            result = evaluation.evaluate(
                file, similarity.get_backend(None if assisted else backend), assisted=assisted
            )
        except evaluation.EvaluationError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(_dumps(result))
            return
        for q in result["questions"]:
            precision = q["suggestion_precision"]
            self.stdout.write(
                f"{q['question'][:70]}\n"
                f"  ARI {q['ari']:.3f} (lexical {q['baseline_ari']:.3f}) · "
                f"{q['clusters']} énoncés pour {q['true_clusters']} attendus, {q['notes']} notes · "
                f"rapprochements justes {q['suggestions_right']}/{q['suggestions']}"
                + (f" ({precision:.2f})" if precision is not None else "")
            )
        if result.get("llm_fallbacks"):
            self.stdout.write(
                self.style.WARNING(
                    f"{result['llm_fallbacks']} question(s) regroupée(s) hors ligne : "
                    "le modèle n'a pas donné de réponse valide."
                )
            )
        precision = result["suggestion_precision"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Moteur {result['backend']} : ARI moyen {result['ari']:.3f} "
                f"(lexical {result['baseline_ari']:.3f}), précision des rapprochements "
                + (f"{precision:.2f}" if precision is not None else "—")
            )
        )


def _dumps(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)
