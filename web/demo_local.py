"""The demo's local workshops: what groups on six ATC sites noted in 2020–2021.

Written for the demo, not taken from the seed: notes as animators type them
(short, abbreviated, the odd typo), several groups saying one thing in their
own words. Each `Idea` is what the coordination kept in the published
synthesis (`statement`) and the notes it came from, one per group; web/demo.py
turns them into rows.
"""

import datetime
from dataclasses import dataclass

from atelier.models import GroupingMode, Kind, WorkshopFormat

# The questions every local workshop asked: (round title, grouping mode,
# [(key, question, kind)]). Quotes are noted under "lecon".
ROUNDS = [
    (
        "Le bilan de la démarche",
        GroupingMode.RANDOM,
        [
            ("aide", "Qu'est-ce qui a permis d'avancer ?", Kind.SUCCESS_FACTOR),
            ("frein", "Qu'est-ce qui a freiné ou bloqué ?", Kind.OBSTACLE),
        ],
    ),
    (
        "Et maintenant ?",
        GroupingMode.PEER,
        [
            ("lecon", "Ce qu'on retient pour la suite", Kind.LESSON),
            ("engagement", "Ce qu'on s'engage à faire, et qui s'en charge", Kind.COMMITMENT),
        ],
    ),
]


@dataclass(frozen=True)
class Idea:
    statement: str  # as published
    notes: tuple[str, ...]  # one per group, in the groups' words
    follow_ups: tuple[tuple[str, str], ...] = ()  # (FollowUpStatus value, précision)


@dataclass(frozen=True)
class Quote:
    actor_type: str  # a name of demo.ACTOR_TYPES
    text: str


@dataclass(frozen=True)
class LocalWorkshop:
    slug: str
    title: str
    site: str  # INSEE code of one of demo.SITES
    date: datetime.date
    format: str
    participants: int
    intro: str
    ideas: dict[str, tuple[Idea, ...]]
    quotes: tuple[Quote, ...]
    groups: int = 3


WORKSHOPS = [
    LocalWorkshop(
        slug="atelier-local-roubaix-2020",
        title="Atelier territorial de Roubaix : un an d'animation citoyenne",
        site="59512",
        date=datetime.date(2020, 10, 15),
        format=WorkshopFormat.IN_PERSON,
        participants=18,
        intro=(
            "Dix-huit personnes réunies au centre social de l'Alma, entre deux "
            "confinements, pour tirer le bilan d'une première année d'animation "
            "territoriale citoyenne dans les quartiers roubaisiens."
        ),
        ideas={
            "aide": (
                Idea(
                    "Des permanences régulières en pied d'immeuble ont rendu l'animation visible.",
                    (
                        "les perm' en bas des tours le mardi -> les gens savent ou nous trouver",
                        "Etre là tous les mardis au pied des immeubles, ça crée l'habitude",
                        "visibilité grâce aux permanences",
                    ),
                ),
                Idea(
                    "Le conseil citoyen s'est appuyé sur le centre social pour se réunir.",
                    (
                        "CC héberge au centre social, salle + café offerts",
                        "conseil citoyen enfin un lieu fixe (centre soc.)",
                    ),
                ),
                Idea(
                    "Pendant le confinement, la chaîne de solidarité a rapproché associations "
                    "et habitants.",
                    (
                        "confinement : distrib colis alimentaires avec les assos, plein de "
                        "nouveaux bénévoles",
                        "la crise covid a soudé le quartier, des habitants qu'on voyait jamais "
                        "sont venus aider",
                        "réseau d'entraide monté en 48h pdt le confinement",
                    ),
                ),
                Idea(
                    "Le soutien de l'élue de quartier a ouvert des portes.",
                    ("l'élue de quartier vient aux réunions, ça débloque des choses",),
                ),
            ),
            "frein": (
                Idea(
                    "La fracture numérique a coupé une partie des habitants pendant le "
                    "confinement.",
                    (
                        "visio impossible pr bcp de familles (pas d'ordi, forfait limité)",
                        "fracture numérique !! les anciens décrochés",
                        "zoom = on perd la moitié des gens",
                    ),
                ),
                Idea(
                    "Les délais des appels à projets ne collent pas au rythme des habitants.",
                    (
                        "appels à projets : 3 semaines pour répondre, impossible d'associer "
                        "les habitants",
                        "trop de dossiers, financements annuels, on passe notre temps à "
                        "remplir des formulaires",
                    ),
                ),
                Idea(
                    "Le rôle de l'animateur reste flou pour les partenaires institutionnels.",
                    (
                        "les bailleurs savent pas qui on est, on doit se re-présenter à chaque "
                        "fois",
                        "légitimité de l'animation pas reconnue par les institutions",
                    ),
                ),
            ),
            "lecon": (
                Idea(
                    "Aller vers les habitants plutôt que les attendre dans une salle.",
                    (
                        "aller vers > faire venir",
                        "sortir des salles de réunion, aller là où sont les gens (marché, "
                        "sortie d'école)",
                    ),
                ),
                Idea(
                    "Le diagnostic en marchant donne la parole à ceux qui n'écrivent pas.",
                    (
                        "diag en marchant super, les mamans ont parlé bcp plus qu'en réunion",
                        "marches exploratoires = outil à garder",
                    ),
                ),
                Idea(
                    "Il faut du temps long : un an, c'est à peine le temps de se faire connaître.",
                    ("1 an c'est trop court, on commence juste à être connus",),
                ),
            ),
            "engagement": (
                Idea(
                    "Relancer les permanences en pied d'immeuble, avec la régie de quartier.",
                    (
                        "reprendre les perm' des que possible, + régie de quartier",
                        "permanences avec la régie (mardi + samedi matin ?)",
                    ),
                    follow_ups=(
                        ("doing", "Reprises le mardi depuis janvier, le samedi reste à caler."),
                    ),
                ),
                Idea(
                    "Prêter des tablettes et former les habitants au numérique.",
                    (
                        "prêt de tablettes + ateliers numériques avec la médiathèque",
                        "former les habitants à la visio (conseillers numériques ?)",
                    ),
                    follow_ups=(
                        ("doing", "Convention signée avec la médiathèque."),
                        ("done", "12 tablettes prêtées, 4 ateliers tenus."),
                    ),
                ),
                Idea(
                    "Présenter l'animation citoyenne aux bailleurs lors d'une réunion GUSP.",
                    ("passer en réunion GUSP pr présenter la démarche aux bailleurs",),
                    follow_ups=(("planned", ""),),
                ),
            ),
        },
        quotes=(
            Quote(
                "Habitant·e",
                "Avant je passais devant le centre social sans entrer. Maintenant c'est moi "
                "qui fais le café.",
            ),
            Quote(
                "Agent·e de collectivité",
                "On a découvert des gens qu'aucun de nos dispositifs ne touchait.",
            ),
            Quote(
                "Délégué·e du préfet",
                "Le confinement a montré qui était vraiment présent dans le quartier.",
            ),
        ),
    ),
    LocalWorkshop(
        slug="atelier-local-marseille-2020",
        title="Atelier territorial de Marseille, quartiers Nord",
        site="13055",
        date=datetime.date(2020, 12, 3),
        format=WorkshopFormat.ONLINE,
        participants=21,
        intro=(
            "En visioconférence, second confinement oblige : animateurs, conseils "
            "citoyens et partenaires des 13e, 14e et 15e arrondissements font le point "
            "sur une année bousculée."
        ),
        ideas={
            "aide": (
                Idea(
                    "Les habitants relais ont gardé le lien avec les familles isolées.",
                    (
                        "habitants relais = ceux qui appellent les voisins, indispensables",
                        "les relais par cage d'escalier ont tenu pendant le confinement",
                        "réseau d'habitants relais (tel, whatsapp)",
                    ),
                ),
                Idea(
                    "Les groupes WhatsApp ont remplacé les réunions de pied d'immeuble.",
                    (
                        "groupe whatsapp du quartier, 200 personnes",
                        "on a tout basculé sur whatsap, ça a marché mieux que prévu",
                    ),
                ),
                Idea(
                    "La coopération entre centres sociaux et associations sportives s'est "
                    "renforcée.",
                    (
                        "collab centres sociaux / clubs de foot pour les jeunes",
                        "partenaires qui se parlaient pas avant ont monté des actions ensemble",
                    ),
                ),
            ),
            "frein": (
                Idea(
                    "Les élus changent et le portage politique est à reconstruire après les "
                    "municipales.",
                    (
                        "municipales : nouveaux élus, tout à réexpliquer",
                        "portage politique en suspens depuis juin",
                    ),
                ),
                Idea(
                    "Les financements arrivent tard, les associations avancent la trésorerie.",
                    (
                        "subventions versées en novembre pour l'année !!",
                        "les assos avancent l'argent, certaines vont pas tenir",
                        "budget : retard de versement, tréso à zéro",
                    ),
                ),
                Idea(
                    "La parole des jeunes reste absente des instances.",
                    ("pas de jeunes au conseil citoyen, ni aux réunions",),
                ),
                Idea(
                    "Les rencontres en visio fatiguent et excluent.",
                    (
                        "visio épuisante, on se coupe la parole, on décroche",
                        "en visio les habitants parlent peu, seulement les pros",
                    ),
                ),
            ),
            "lecon": (
                Idea(
                    "S'appuyer sur les réseaux informels déjà là plutôt que d'en créer de "
                    "nouveaux.",
                    (
                        "partir de ce qui existe (réseaux de voisins, mosquée, clubs)",
                        "pas réinventer : les réseaux informels marchaient déjà",
                    ),
                ),
                Idea(
                    "Un animateur doit être identifié et joignable, même à distance.",
                    (
                        "un numéro, une personne : l'animateur joignable",
                        "animation = quelqu'un qu'on connaît et qu'on peut appeler",
                    ),
                ),
            ),
            "engagement": (
                Idea(
                    "Organiser une rencontre avec les nouveaux élus d'arrondissement au "
                    "premier trimestre.",
                    (
                        "rencontre avec les élus de secteur d'ici mars",
                        "inviter les nouveaux élus à une marche dans la cité",
                    ),
                    follow_ups=(
                        ("doing", "Date proposée à la mairie de secteur."),
                        ("done", "Marche avec deux élus le 12 mars, 40 habitants."),
                    ),
                ),
                Idea(
                    "Ouvrir le conseil citoyen aux 16-25 ans par un collège jeunes.",
                    (
                        "créer un collège jeunes au CC",
                        "aller chercher les jeunes via les clubs + la mission locale",
                    ),
                    follow_ups=(("doing", "Trois jeunes cooptés, collège pas encore formel."),),
                ),
                Idea(
                    "Demander à l'État et à la Ville une avance sur les subventions des "
                    "petites associations.",
                    ("plaider pour des avances de subvention aux petites assos",),
                    follow_ups=(("dropped", "Hors du cadre budgétaire de 2021."),),
                ),
            ),
        },
        quotes=(
            Quote(
                "Habitant·e",
                "Le téléphone, c'était notre centre social pendant deux mois.",
            ),
            Quote(
                "Acteur·rice d'instance locale de gouvernance",
                "On ne peut pas demander aux gens de participer s'ils n'ont pas mangé.",
            ),
        ),
    ),
    LocalWorkshop(
        slug="atelier-local-saint-denis-2021",
        title="Saint-Denis : participer en temps de crise",
        site="93066",
        date=datetime.date(2021, 3, 18),
        format=WorkshopFormat.ONLINE,
        participants=16,
        intro=(
            "Atelier en ligne avec les tables de quartier, la Ville et Plaine Commune "
            "sur la participation pendant la crise sanitaire."
        ),
        ideas={
            "aide": (
                Idea(
                    "Les tables de quartier ont donné un cadre stable à la participation.",
                    (
                        "tables de quartier = un rdv fixe, les gens reviennent",
                        "la table de quartier a continué même confinée",
                    ),
                ),
                Idea(
                    "Un budget participatif de quartier a rendu les idées concrètes.",
                    (
                        "budget participatif : 3 projets réalisés, ça motive",
                        "voir un projet se faire (jardin partagé) = preuve que ça sert",
                        "le FPH finance vite des petites actions",
                    ),
                ),
                Idea(
                    "La co-formation entre habitants et agents a changé les regards.",
                    (
                        "co-formation agents/habitants : chacun a découvert le métier de l'autre",
                        "formation croisée, les agents ont compris nos contraintes",
                    ),
                ),
            ),
            "frein": (
                Idea(
                    "Le renouvellement urbain décide sans les habitants concernés.",
                    (
                        "NPNRU : les décisions sont prises avant la concertation",
                        "démolitions annoncées dans le journal, pas en réunion",
                    ),
                ),
                Idea(
                    "Le turn-over des agents casse la confiance.",
                    (
                        "3 chefs de projet en 2 ans...",
                        "à chaque départ d'agent, on repart de zéro",
                    ),
                ),
                Idea(
                    "Les consignes sanitaires ont fermé les lieux de rencontre.",
                    (
                        "salles fermées, protocole sanitaire impossible à tenir",
                        "plus de fêtes de quartier depuis un an",
                    ),
                ),
            ),
            "lecon": (
                Idea(
                    "Rendre compte de ce que devient chaque proposition des habitants.",
                    (
                        "faire un retour systématique : on a dit quoi, qu'est-ce qui a été fait",
                        "sans retour les gens viennent 1 fois pas 2",
                        "tableau de suivi des propositions, public",
                    ),
                ),
                Idea(
                    "La participation doit peser sur une décision, sinon elle s'use.",
                    ("consulter pour la forme = on perd la confiance",),
                ),
            ),
            "engagement": (
                Idea(
                    "Publier à chaque table de quartier un suivi des propositions.",
                    (
                        "tableau de suivi à chaque table de qu.",
                        "retour écrit après chaque réunion (affiché au centre)",
                    ),
                    follow_ups=(("done", "Affiché depuis avril dans les trois quartiers."),),
                ),
                Idea(
                    "Associer les habitants au comité de pilotage du renouvellement urbain.",
                    (
                        "2 habitants au COPIL NPNRU",
                        "demander une place au comité de pilotage rénovation",
                    ),
                    follow_ups=(("doing", "Accord de principe de l'EPT, désignation en cours."),),
                ),
                Idea(
                    "Organiser une co-formation annuelle agents et habitants.",
                    ("refaire la co-formation chaque année, nouveaux agents inclus",),
                    follow_ups=(("planned", "Prévue à l'automne."),),
                ),
            ),
        },
        quotes=(
            Quote(
                "Chef·fe de projet politique de la ville",
                "On mesure le succès au nombre de réunions ; les habitants, au nombre de "
                "choses qui changent.",
            ),
            Quote(
                "Habitant·e",
                "On veut bien donner notre avis, mais dites-nous ce que vous en faites.",
            ),
        ),
    ),
    LocalWorkshop(
        slug="atelier-local-tourcoing-2021",
        title="Tourcoing : l'animation citoyenne au quotidien",
        site="59599",
        date=datetime.date(2021, 5, 20),
        format=WorkshopFormat.HYBRID,
        participants=17,
        intro=(
            "Moitié en salle à la maison de quartier de la Bourgogne, moitié en ligne : "
            "les acteurs de Tourcoing reviennent sur dix-huit mois d'animation."
        ),
        ideas={
            "aide": (
                Idea(
                    "La maison de quartier sert de point d'appui à toutes les initiatives.",
                    (
                        "maison de quartier = QG, tout part de là",
                        "avoir un lieu ouvert tous les jours",
                    ),
                ),
                Idea(
                    "Les adultes relais font le lien entre familles et institutions.",
                    (
                        "adultes-relais indispensables (traduction, accompagnement CAF...)",
                        "les médiateurs connaissent tout le monde",
                        "adultes relais -> confiance des familles",
                    ),
                ),
                Idea(
                    "Le collectif d'associations mutualise ses moyens.",
                    (
                        "collectif des assos : on partage le minibus et la salle",
                        "coopération entre assos plutôt que concurrence",
                    ),
                ),
            ),
            "frein": (
                Idea(
                    "Les postes d'adultes relais sont précaires et trop peu nombreux.",
                    (
                        "postes adultes relais : contrats de 3 ans, et après ?",
                        "pas assez de médiateurs pour tout le quartier",
                    ),
                ),
                Idea(
                    "Les habitants s'épuisent : ce sont toujours les mêmes qui s'investissent.",
                    (
                        "toujours les 10 mêmes bénévoles, ils fatiguent",
                        "essoufflement des habitants investis",
                    ),
                ),
                Idea(
                    "Les dispositifs se superposent et personne ne s'y retrouve.",
                    (
                        "contrat de ville, cité éducative, PRE, GUSP... on s'y perd",
                        "trop de dispositifs, trop de sigles",
                        "mille-feuille des dispositifs",
                    ),
                ),
            ),
            "lecon": (
                Idea(
                    "Reconnaître et valoriser l'engagement bénévole.",
                    (
                        "valoriser les bénévoles (attestations, soirée merci)",
                        "reconnaître l'engagement, pas que dire merci",
                    ),
                ),
                Idea(
                    "Un animateur citoyen doit pouvoir dire non aux institutions.",
                    ("l'animateur doit rester indépendant, pas le porte-parole de la mairie",),
                ),
                Idea(
                    "Parler simple : expliquer les dispositifs sans sigles.",
                    (
                        "un lexique des sigles pour les habitants !",
                        "expliquer les dispositifs avec des mots simples",
                    ),
                ),
            ),
            "engagement": (
                Idea(
                    "Éditer un guide simple des dispositifs du quartier.",
                    (
                        "faire un guide 'qui fait quoi' du quartier",
                        "livret des dispositifs, sans sigles, traduit",
                    ),
                    follow_ups=(
                        ("doing", "Rédaction avec le conseil citoyen."),
                        ("done", "Guide imprimé à 800 exemplaires, traduit en arabe et en turc."),
                    ),
                ),
                Idea(
                    "Créer un passeport bénévole qui valorise les compétences acquises.",
                    ("passeport bénévole / valorisation des compétences (VAE ?)",),
                    follow_ups=(("planned", ""),),
                ),
                Idea(
                    "Demander la pérennisation de deux postes d'adultes relais.",
                    (
                        "plaider auprès de la préfecture pour pérenniser les 2 postes AR",
                        "renouvellement des postes adultes relais en 2022",
                    ),
                    follow_ups=(("done", "Deux postes renouvelés jusqu'en 2024."),),
                ),
            ),
        },
        quotes=(
            Quote(
                "Animateur·rice territorial·e citoyen·ne",
                "Mon travail, c'est d'être là quand il ne se passe rien, pour que le jour "
                "où il se passe quelque chose, on me fasse confiance.",
            ),
            Quote(
                "Direction de structure porteuse",
                "On a appris à travailler avec les associations d'à côté au lieu de les "
                "voir comme des concurrentes.",
            ),
            Quote("Habitant·e", "Le guide, je l'ai donné à ma voisine qui vient d'arriver."),
        ),
    ),
    LocalWorkshop(
        slug="atelier-local-grenoble-2021",
        title="Grenoble : conseils citoyens et animation territoriale",
        site="38185",
        date=datetime.date(2021, 9, 16),
        format=WorkshopFormat.IN_PERSON,
        participants=15,
        intro=(
            "Rencontre à Villeneuve entre conseils citoyens, union de quartier et "
            "services de la Métropole, à la reprise de septembre."
        ),
        ideas={
            "aide": (
                Idea(
                    "Les conseils citoyens ont obtenu un budget de fonctionnement propre.",
                    (
                        "budget propre du CC = autonomie",
                        "enfin un budget de fonctionnement pour le conseil citoyen",
                    ),
                ),
                Idea(
                    "Le diagnostic partagé a réuni services et habitants autour des mêmes "
                    "constats.",
                    (
                        "diagnostic partagé métropole + habitants, même constat sur la "
                        "tranquillité",
                        "diagnostic fait ensemble, pas par un bureau d'études",
                    ),
                ),
            ),
            "frein": (
                Idea(
                    "Les réunions en journée excluent les actifs et les parents.",
                    (
                        "réunions à 14h = que des retraités",
                        "horaires pas adaptés aux parents qui bossent",
                    ),
                ),
                Idea(
                    "Les services de la Métropole répondent lentement aux sollicitations.",
                    (
                        "3 mois pour une réponse sur l'éclairage du parc",
                        "lenteur des services, les gens se découragent",
                    ),
                ),
                Idea(
                    "La défiance envers les institutions reste forte après le passage du "
                    "confinement.",
                    ("défiance +++ depuis le covid",),
                ),
            ),
            "lecon": (
                Idea(
                    "Adapter les horaires et proposer une garde d'enfants.",
                    (
                        "réunions le soir + garderie",
                        "penser aux horaires des parents, sinon on parle entre nous",
                    ),
                ),
                Idea(
                    "Le diagnostic partagé se refait régulièrement, pas une fois pour toutes.",
                    (
                        "refaire le diagnostic tous les 2 ans",
                        "le diag vieillit vite",
                    ),
                ),
            ),
            "engagement": (
                Idea(
                    "Tenir les réunions du conseil citoyen en soirée, avec un accueil des enfants.",
                    (
                        "CC le jeudi soir, avec garde d'enfants",
                        "réunions à 18h30 à partir d'octobre",
                    ),
                    follow_ups=(("done", "Réunions à 18 h 30 depuis octobre, garderie assurée."),),
                ),
                Idea(
                    "Fixer un délai de réponse des services aux questions des habitants.",
                    ("engagement de la métro : réponse sous 1 mois",),
                    follow_ups=(("doing", "Charte en discussion avec la Métropole."),),
                ),
            ),
        },
        quotes=(
            Quote(
                "Acteur·rice d'instance locale de gouvernance",
                "Un budget à nous, même petit, ça change la façon dont on est reçus.",
            ),
            Quote(
                "Agent·e de collectivité",
                "Le diagnostic, on croyait le connaître. Les habitants nous ont montré l'inverse.",
            ),
        ),
    ),
    LocalWorkshop(
        slug="atelier-local-grande-synthe-2021",
        title="Grande-Synthe : transition écologique et participation",
        site="59271",
        date=datetime.date(2021, 11, 25),
        format=WorkshopFormat.IN_PERSON,
        participants=19,
        intro=(
            "À la maison de quartier du Courghain, habitants, régie de quartier et "
            "services municipaux croisent transition écologique et participation."
        ),
        ideas={
            "aide": (
                Idea(
                    "Les jardins partagés ont fait venir de nouveaux habitants.",
                    (
                        "jardins partagés : des familles qu'on voyait jamais",
                        "le jardin = prétexte pour se rencontrer",
                        "potager au pied des immeubles, gros succès",
                    ),
                ),
                Idea(
                    "La régie de quartier emploie des habitants sur les chantiers écologiques.",
                    (
                        "régie de quartier embauche des habitants (chantiers verts)",
                        "emploi local via la régie, ça donne du sens",
                    ),
                ),
                Idea(
                    "La ville soutient clairement la démarche.",
                    (
                        "soutien politique fort du maire",
                        "les élus présents, ils portent le projet",
                    ),
                ),
            ),
            "frein": (
                Idea(
                    "La transition écologique paraît loin des urgences des familles.",
                    (
                        "écologie = 'truc de riches' pour certains",
                        "les gens ont d'autres urgences (factures, emploi)",
                    ),
                ),
                Idea(
                    "Les financements par projet empêchent de durer.",
                    (
                        "financement à l'action, pas au fonctionnement",
                        "chaque année on redemande, on sait jamais si ça continue",
                    ),
                ),
                Idea(
                    "La mobilité limite la participation des quartiers excentrés.",
                    (
                        "bus le soir = rien",
                        "pas de transport pour venir aux réunions du centre",
                    ),
                ),
            ),
            "lecon": (
                Idea(
                    "Partir du pouvoir d'achat pour parler d'écologie.",
                    (
                        "parler factures d'énergie plutôt que climat",
                        "écologie = économies, c'est là que ça accroche",
                    ),
                ),
                Idea(
                    "Inscrire l'animation dans la durée, au-delà des appels à projets.",
                    (
                        "sortir de la logique appel à projets, penser long terme",
                        "pérenniser l'animation après 2021",
                    ),
                ),
            ),
            "engagement": (
                Idea(
                    "Lancer des ateliers « économies d'énergie » avec le bailleur.",
                    (
                        "ateliers économies d'énergie avec le bailleur, dès janvier",
                        "kit éco-gestes + visite des appartements",
                    ),
                    follow_ups=(("doing", "Premier atelier tenu en janvier avec le bailleur."),),
                ),
                Idea(
                    "Mettre en place une navette pour les réunions du soir.",
                    ("navette le soir pour les réunions (minibus de la régie)",),
                    follow_ups=(("dropped", "Pas de chauffeur disponible le soir."),),
                ),
                Idea(
                    "Demander une convention pluriannuelle pour l'animation citoyenne.",
                    (
                        "convention sur 3 ans pour l'animation",
                        "financement pluriannuel à négocier avec l'État et la ville",
                    ),
                    follow_ups=(
                        ("planned", "À porter au comité de pilotage du contrat de ville."),
                    ),
                ),
            ),
        },
        quotes=(
            Quote(
                "Habitant·e",
                "Au jardin, personne ne me demande d'où je viens, on me demande ce que je plante.",
            ),
            Quote(
                "Délégué·e du préfet",
                "La transition, ici, passe par la facture de chauffage avant de passer par "
                "les grands discours.",
            ),
            Quote(
                "Chef·fe de projet politique de la ville",
                "Sans financement pluriannuel, on recrute, on forme, et on perd les gens.",
            ),
        ),
    ),
]
