"""The words around a number that say whose it is: CPR labels, words naming the patient, other numbers' labels, and
words naming another person; all matched on normalised text, case-insensitively."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Danish letters may reach us transliterated (field names, old systems): æ/ae, ø/oe, å/aa.
_AE, _OE, _AA = "(?:æ|ae)", "(?:ø|oe)", "(?:å|aa)"

# A CPR label proper: the number after it is a CPR number, or the label blocks.
CPR_LABEL = re.compile(
    r"\bc\.?\s?p\.?\s?r\b\.?(?:\s?-?\s?(?:nr|nummer|no)\b\.?)?|\bcprnr\b\.?"
    r"|\bperson\s?-?\s?(?:nr|nummer)\b\.?|\bpersonnr\b\.?|\bpers\.?\s?-?\s?nr\b\.?|\bpersonnummer\w*"
    rf"|\bf{_OE}dselsnummer\b|\berstatnings-?\s?(?:cpr|personnummer|nummer)\b(?:\s?-?\s?nr\b\.?)?"
    r"|\bpersonal\s+id(?:entification)?(?:\s+(?:no|number|nr)\b\.?)?",  # English: "Personal ID no. (CPR)"
    re.IGNORECASE,
)

# Words naming the person the document is about: a CPR number written after them (past a name) is the patient's.
PATIENT_WORD = re.compile(
    rf"\bpatient(?:en|ens)?\b|\bpt\b\.|\bborger(?:en|ens)?\b|\bvedr\b\.?|\bvedr{_OE}rende\b|\bang\b\.|\bang{_AA}ende\b"
    rf"|\bnavn\b|\b(?:den\s+)?sygemeldte\b|\bans{_OE}ger(?:en|ens)?\b|\bsikrede\b|\bklient(?:en|ens)?\b"
    r"|\b(?:patient|person|borger)oplysninger\b",  # the heading of the patient's own data
    re.IGNORECASE,
)

# The labels of a date or a time ("Taget: 141125 1030", "Modtaget i lab.: 160226 0745", "Udskrevet 060226 1412"):
# the number after them is no person's, and a column of them explains no ten-digit number ("Dato  Analyse").
_DATE_TIME_WORDS = (r"(?:pr(?:ø|oe)ve)?taget|modtaget|dato\w*|\w*tidspunkt\w*|\w*tid|udskrevet|udskrift\w*|printet"
                    r"|oprettet|kl")
_DATE_TIME_LABEL = re.compile(_DATE_TIME_WORDS, re.IGNORECASE)
# Labels of numbers that look like a CPR number and are something else. Besides the known kinds, any word ending in
# "nr"/"nummer" and any "ID" label ("Dokument-ID", "Henv.-ID", "Sag nr.") names an identifier, not a person.
OTHER_LABEL = re.compile(
    r"\b(?:tlf|telefon\w*|mobil\w*|fax|cvr\w*|se-?\s?nr|p-?\s?nr|p-?\s?nummer|produktionsenhed\w*"
    r"|yder\w*|lokations\w*|ean\w*|gln|sor(?:-?kode)?|\w*konto\w*|reg|registrerings\w*|iban"
    r"|bank(?:konto|nr|forbindelse|oplysning)\w*|bank(?=\s*:)"  # not the surname Bank
    rf"|journal\w*|j\.?\s?nr|sag(?:s\w*)?|rekv\w*|ordre\w*|faktura\w*|l{_OE}be\w*|dokument\w*|bilag\w*|kunde\w*"
    r"|autorisation\w*|henv\w*|reference\w*|ref|brev\w*|kvittering\w*|stregkode\w*|barcode|accession\w*"
    rf"|{_DATE_TIME_WORDS})\b\.?",
    re.IGNORECASE,
)
# Any other identifier's label: "ID", "nr.", a word ending in "nr"/"nummer" ("Dok.nr.", "Forløbsnummer"). It says
# the number is not a CPR, but not whose it is: where the document names another person, it does not clear it.
# "id" only as its own word or after a hyphen, space or dot, or as a capitalised suffix ("DokumentID"): names end in
# "id" too (Ingrid, Astrid, David), and a name before a number is never an identifier's label.
GENERIC_LABEL = re.compile(r"(?i:\b(?:id|nr|\w+\.?\s?-?(?:nr|nummer)|\w+\.?[\s-]id))\b\.?|\b[A-ZÆØÅ][a-zæøå]+ID\b")

# What may stand between another number's label and the number: punctuation (a barcode's "*" too) and
# "nr"/"nummer"/"ID".
OTHER_LABEL_GAP = re.compile(r"^[\s:.#\-=()/*]*(?:(?i:nr|nummer|no|id)\b\.?[\s:.#\-=()/*]*)?"
                             r"(?:[a-zæøå]{1,6}\.?[\s:.#\-=()/]+){0,2}$")
# Between a CPR label and its number: a few characters without digits ("CPR-nr. (patient): ", a name).
CPR_LABEL_GAP = re.compile(r"^[^\d]{0,25}$")
# Between a word naming the patient and the number: a name, without digits ("Vedr.: Anders Juul Jensen, ").
PATIENT_WORD_GAP = re.compile(r"^[^\d]{0,45}$")

# Words naming someone other than the patient: a relative, a guardian, a contact, a doctor. A number on such a line,
# or in the lines below it, is never the patient's.
OTHER_PERSON = re.compile(
    r"\b(?:"  # one word boundary for all the words: the alternatives are tried only where a word starts
    rf"p{_AA}r{_OE}rende\w*|far(?:en|ens|s)?\b|fader(?:en|ens)?\b|mor(?:en|ens|s)?\b|moder(?:en|ens)?\b"
    rf"|for{_AE}ld(?:er|re)\w*|{_AE}gtef{_AE}lle\w*|{_AE}gtemand\w*|hustru\w*|samlever\w*"
    rf"|k{_AE}reste\w*|partner\w*|barn(?:et|ets|s)?\b|barne\w*|b{_OE}rn\w*|s{_OE}n(?:nen|nens|s)?\b|datter\w*"
    rf"|d{_OE}tre\w*|bror(?:en|ens|s)?\b|broder\w*|s{_OE}ster\w*|s{_OE}skende\w*|barnebarn\w*"
    rf"|bedste(?:far|mor|for{_AE}ld)\w*|sviger\w*|svoger\w*|sv{_AE}gerinde\w*|familiemedlem\w*"
    rf"|v{_AE}rge\w*|bisidder\w*|kontaktperson\w*|henviser\s*:|medpatient\w*"
    rf"|anden\s+person\b|pleje(?:far|mor|for{_AE}ld|barn|s{_OE}n|datter)\w*|eks-?(?:kone|mand|hustru|partner|"
    rf"{_AE}gtef{_AE}lle|samlever|k{_AE}reste)\w*|nabo\w*|ven(?:inde|inden|nen|ner)?\b|ledsage\w*|tolk\w*"
    r"|kontakt\s+ved\s+behov\b|kontaktes\b|(?:givet|oplyst|meddelt|fortalt)\s+af\b|informant\w*"
    rf"|fuldm{_AE}gtig\w*|fuldmagt\w*|partsrepr{_AE}sentant\w*|repr{_AE}sentant\w*|advokat\w*)",
    re.IGNORECASE,
)

# A doctor named on a line (the referring, signing, own GP ...): the doctor's own number on that line, or in the
# block the words head ("Underskrivende læge:" / "CPR-nr.: ..."), is not the patient's. Unlike a relative, a doctor
# mentioned in a sentence ("henvendelse fra egen læge") says nothing about the lines below.
DOCTOR_ROLE = (rf"\b(?:egen|praktiserende|behandlende|henvisende|underskrivende|attesterende|ansvarlige?|vagthavende|"
               rf"udfyldende|tilsynsf{_OE}rende)\s+(?:l{_AE}ge|overl{_AE}ge|speciall{_AE}ge)\b|\battestudsteder\w*")
DOCTOR = re.compile(rf"{DOCTOR_ROLE}|\bl{_AE}gens\s+(?:cpr|person|navn)", re.IGNORECASE)  # "Lægens CPR-nr.", not
# "Lægens vurdering" (the doctor's assessment, a section heading)

# A line stating a relation ("Relation: far", "Tilknytning til patienten: datter") belongs to a record about
# another person, whose lines may stand just above it too.
# A cell of a second column counts too ("Adresse: Jyllandsgade 113  Relation: mand").
RELATION_LINE = re.compile(rf"^\s*(?:relation|tilknytning|sl{_AE}gtskab)\b[^:]{{0,30}}:|\b(?:relation|tilknytning|"
                           rf"sl{_AE}gtskab)\s*:", re.IGNORECASE)
# A table whose header row has a relation column ("Relation  Navn  CPR-nr."): its rows are about other persons.
RELATION_HEADER = re.compile(rf"^\D*\b(?:relation|tilknytning|sl{_AE}gtskab|rolle)\b\D*$", re.IGNORECASE)

# Where a word naming another person heads a block about them, not just a sentence: at the start of its line
# ("Pårørende", "Nærmeste pårørende:", "Oplysninger om pårørende"), before a colon ("Kontaktperson: ...") or in
# parentheses ("Hans Jensen (far)").
BLOCK_HEAD = re.compile(
    rf"^\s*(?:(?:oplysninger\s+om|n{_AE}rmeste|evt\.?|patientens|borgerens|data\s+om|kontakt\s+til)\s+)?(?:{OTHER_PERSON.pattern})"
    rf"|(?:{OTHER_PERSON.pattern})\s*(?:\([^)]*\)\s*)?:|\(\s*(?:{OTHER_PERSON.pattern})[^)]*\)",
    re.IGNORECASE,
)

# A line that starts about the patient ends the block of lines about another person above it.
PATIENT_LINE = re.compile(
    rf"^\s*(?:patient\w*|pt\.|borger\w*|vedr\w*|ang{_AA}ende|sygemeldte|ans{_OE}ger\w*|sikrede|klient\w*"
    r"|personoplysninger)",
    re.IGNORECASE)

# How far before a number a label may stand on the same line.
LABEL_WINDOW = 60
# A line naming another person taints itself and, where the word heads a block, this many lines below it, until a
# line about the patient starts; in a sentence, the next line (the sentence may run on). A line stating a relation
# also taints the lines just above it.
BLOCK_LINES = 4
PROSE_LINES = 1
RELATION_LINES_ABOVE = 2
# Two or more capitalised words (a name) right after a number: "060997-1234 Mette Brødsgaard" (an EPJ banner).
NAME_AFTER = re.compile(r"^\s*[,(·|-]?\s*[A-ZÆØÅÄÖÜÉ][^\W\d_]*(?:[-'’][^\W\d_]+)*,?\s+[A-ZÆØÅÄÖÜÉ][^\W\d_]")
# Two or more capitalised words (a name) right before a number: "Ida Brink Iversen, ", "Jensen, Anders (".
NAME_BEFORE = re.compile(r"(?<![\w.])(?P<name>[A-ZÆØÅÄÖÜÉ][^\W\d_]*(?:[-'’][^\W\d_]+)*\.?"
                         r"(?:,?\s+[A-ZÆØÅÄÖÜÉ][^\W\d_]*(?:[-'’][^\W\d_]+)*\.?){1,5})\s*[,(:\-]?\s*$")


class LabelKind(str, enum.Enum):
    """What a label says the number after it is."""

    CPR = "cpr"  # a CPR label proper
    PATIENT = "patient"  # a word naming the patient
    OTHER = "other"  # another kind of number


@dataclass(frozen=True)
class Label:
    kind: LabelKind
    text: str  # as printed
    generic: bool = False  # an identifier's label that does not say what kind of number it is


_KINDS = ((LabelKind.CPR, CPR_LABEL, CPR_LABEL_GAP, False), (LabelKind.OTHER, OTHER_LABEL, OTHER_LABEL_GAP, False),
          (LabelKind.OTHER, GENERIC_LABEL, OTHER_LABEL_GAP, True), (LabelKind.PATIENT, PATIENT_WORD, PATIENT_WORD_GAP, False))
# A CPR label glued to the word before it by a text layer that lost the space: "FREJAPers.nr.", "HansenCPR-nr.".
_GLUED_CPR_LABEL = re.compile(r"(?:cpr|pers\.?\s?-?nr|personn(?:r|ummer))\.?$", re.IGNORECASE)
# At the same place a CPR label wins ("CPR-nr." is also a word ending in "nr"), then a known kind of other number,
# then any identifier ("Patient nr." is a hospital's number), then a word naming the patient.
_RANK = {(LabelKind.CPR, False): 3, (LabelKind.OTHER, False): 2, (LabelKind.OTHER, True): 1, (LabelKind.PATIENT, False): 0}


def label_before(context: str) -> Label | None:
    """The label standing right before a number whose preceding text is `context`: the nearest one whose gap to the
    number fits its kind."""
    window = context[-LABEL_WINDOW:]
    found: list[tuple[int, int, Label]] = []
    for kind, pattern, gap, generic in _KINDS:
        for match in pattern.finditer(window):
            if gap.match(window[match.end() :]):
                found.append((match.end(), _RANK[(kind, generic)], Label(kind, match.group(0).strip(), generic)))
    if not found:
        return None
    label = max(found, key=lambda item: (item[0], item[1]))[2]
    if label.generic and _GLUED_CPR_LABEL.search(label.text):  # "FREJAPers.nr.": a text layer lost the space
        return Label(LabelKind.CPR, label.text)
    if label.generic and OTHER_LABEL.search(label.text):  # "Dokument-id" names its kind: a document's number
        return Label(label.kind, label.text)
    return label


# Letters every word of OTHER_PERSON and DOCTOR contains one of: a line without any is about no one else, and the
# long patterns need not run over it (most lines of a certificate).
_OTHER_PERSON_HINTS = ("pår", "paar", "far", "fad", "mor", "mod", "foræld", "foraeld", "gtef", "gtem", "hustru",
                       "samlev", "ærest", "aerest", "partner", "barn", "børn", "boern", "søn", "soen", "datter",
                       "døtre", "doetre", "bror", "brod", "søst", "soest", "søsk", "soesk", "bedste", "sviger", "svog",
                       "svæg", "svaeg", "familiem", "værg", "vaerg", "bisidd", "kontakt", "henvis", "medpatient",
                       "anden", "pleje", "eks", "nabo", "ven", "ledsag", "tolk", "givet", "oplyst", "meddelt",
                       "fortalt", "informant", "fuldm", "sentant", "advokat", "læge", "laege", "attestud")


# A CPR label owned by someone the reader does not know ("Barns CPR-nr.", "Ejerens CPR", "Hans personnummer"): a
# genitive before the label that is not the patient's may name anyone, and so names someone else.
_OWNED_CPR_LABEL = re.compile(
    r"\b(?P<owner>[^\W\d_]{2,}s)\s*[:.]?\s+(?=c\.?\s?p\.?\s?r\b|person\s?-?\s?n|pers\.?\s?-?\s?nr\b|f(?:ø|oe)dselsnummer)",
    re.IGNORECASE)
_NAME_PART_BEFORE = re.compile(r"[A-ZÆØÅÄÖÜÉ][^\W\d_]+(?:-[^\W\d_]+)*,?[ \t]+$")  # "Olsen ", "KJÆR-OLSEN, "
_PATIENT_OWNER = re.compile(rf"(?:patient|pt|borger|ans{_OE}ger|klient|sygemeldt|sikrede|person|medarbejder|ansatte"
                            r"|l(?:ø|oe)nmodtager|unders(?:ø|oe)gte)\w*",
                            re.IGNORECASE)


_OTHER_PERSON_HINT = re.compile("|".join(map(re.escape, _OTHER_PERSON_HINTS)))  # one scan, not one per hint


def names_other_person(text: str) -> str | None:
    """The word in `text` that names someone other than the patient (a relative, a companion, a doctor, the
    unnamed owner of a CPR label), if any."""
    lowered = text.lower()
    if _OTHER_PERSON_HINT.search(lowered):
        match = OTHER_PERSON.search(text) or DOCTOR.search(text)
        if match:
            return match.group(0)
    if "s" in lowered and ("cpr" in lowered or "pers" in lowered or "dselsn" in lowered):
        for owned in _OWNED_CPR_LABEL.finditer(text):
            owner = owned.group("owner")
            # "Navn: Mads Jens CPR-nr.": the last word of a name; but "-sens" is no name's end ("Jens Andersens")
            name_part = _NAME_PART_BEFORE.search(text, 0, owned.start()) and not owner.lower().endswith("sens")
            if not _PATIENT_OWNER.fullmatch(owner) and not name_part:
                return owner
    return None


def has_cpr_label(text: str) -> bool:
    return CPR_LABEL.search(text) is not None


def second_cpr_column(text: str, start: int) -> Taint | None:
    """A number after a line's second CPR label, words apart from the first ("Patientens CPR-nr.: Se vedlagte
    CPR-nr.: <number>"): two columns side by side, two persons; the number may be the other column's."""
    if not has_cpr_label(text):
        return None
    labels = list(CPR_LABEL.finditer(text, 0, start))
    for first, second in zip(labels, labels[1:]):
        if re.search(r"[^\W\d_]{2,}", text[first.end() : second.start()]):
            return Taint("a second CPR label on its line (a second column)", True)
    return None


# A doctor's block: the words before a colon ("Underskrivende læge: Jürgen Frandsen").
# A role alone on its line ("Behandlende læge") or before a colon; "Praktiserende læge Hanne Østergaard" on one line
# is a letterhead, the sender, and heads nothing.
_DOCTOR_HEAD = re.compile(rf"^\W*(?:{DOCTOR_ROLE})\W*$|(?:{DOCTOR_ROLE})[^:\n]{{0,20}}:", re.IGNORECASE)


@dataclass(frozen=True)
class Taint:
    """Why a line is about someone other than the patient: the word, and whether it stands on that line itself (or
    on a line above, heading the block the line belongs to)."""

    word: str
    own_line: bool
    doctor_at: int | None = None  # a doctor named on the line itself, from this column: numbers before are not theirs

    def taints(self, end: int) -> bool:
        """Whether a number ending at column `end` of the line is about the other person."""
        return not (self.own_line and self.doctor_at is not None and end <= self.doctor_at)

    def __str__(self) -> str:
        return self.word if self.own_line else f"{self.word}, in the lines above"


def other_person_lines(texts: Sequence[str]) -> list[Taint | None]:
    """For each line, the word that makes it about someone other than the patient, or None (see _taints)."""
    return list(_taints(tuple(texts)))


@functools.lru_cache(maxsize=8)  # the CPR reader and the name reader ask about the same lines
def _taints(texts: tuple[str, ...]) -> tuple[Taint | None, ...]:
    """For each line, the word that makes it about someone other than the patient, or None.

    A line naming another person is about them, and so is the next line (the sentence may run on). Where the word
    heads a block (at the start of the line, before a colon, in parentheses: "Pårørende" / "Navn: ..." /
    "CPR-nr.: ..."), up to BLOCK_LINES lines below are about them too, until a line starts about the patient
    again. A line stating a relation ("Relation: far") also takes the RELATION_LINES_ABOVE lines above it, and heads
    a block.
    """
    taints: list[Taint | None] = [None] * len(texts)
    block_word, block_left = "", 0
    for index, text in enumerate(texts):
        relation = RELATION_LINE.search(text)
        header = RELATION_HEADER.match(text) if CPR_LABEL.search(text) else None  # heads a table of other persons
        word = names_other_person(text) or (relation.group(0).strip(" :") if relation else None) or (
            "a table of relations" if header else None)
        if word:
            doctor = DOCTOR.search(text) if not OTHER_PERSON.search(text) and not relation else None
            taints[index] = Taint(word, True, doctor.start() if doctor else None)
            if relation:
                for above in range(max(0, index - RELATION_LINES_ABOVE), index):
                    taints[above] = taints[above] or Taint(word, False)
            if relation or header or BLOCK_HEAD.search(text) or _DOCTOR_HEAD.search(text):
                block_word, block_left = word, BLOCK_LINES
            elif OTHER_PERSON.search(text):  # a sentence about a relative: the line it runs on into
                block_word, block_left = word, max(block_left - 1, PROSE_LINES)
            else:  # a doctor in a sentence or a table's column: that line only
                block_left = max(block_left - 1, 0)
        elif PATIENT_LINE.match(text):
            block_left = 0
        elif block_left > 0:
            taints[index] = Taint(block_word, False)
            block_left -= 1
    return tuple(taints)


# A table's header row: a few capitalised cells ("Dato  Analyse  Resultat  Prøvenr.", "Kontakt-ID:  Rekv.nr.  Fravær:").
_HEADER_MAX_CHARS = 80
_ANY_DIGIT = re.compile(r"\d")
_HEADER_MAX_WORDS = 8
# A label that reads as a cell's name, not a word of a sentence ("Rekv.nr.", "Kontakt-ID:", not "henvises").
_CELL_LABEL = re.compile(r"(?:[.:]|(?i:nr|id|nummer)\W?)$")  # the label and the character after it
_HEADER_SMALL_WORD = 3  # "og", "af", "i": the small words a cell's name may hold ("Reg. og kontonr.")


def identifier_column(text: str) -> Label | None:
    """The label of an identifier's column when `text` is a table's header row naming one ("Prøvenr.", "Labnr.",
    "Rekvisitions-ID") and no column a person's number could stand in: no CPR label, no word naming the patient or
    another person. A date or time column alone names no identifier. Prose is no header row: its lower-case words
    are not cells, unless two identifiers' labels make it a row of cells ("Kontakt-ID:  Rekv.nr.  Fravær: Sygemeldt
    i perioden")."""
    if (len(text) > _HEADER_MAX_CHARS or _ANY_DIGIT.search(text) or len(text.split()) > _HEADER_MAX_WORDS
            or CPR_LABEL.search(text) or PATIENT_WORD.search(text) or names_other_person(text)):
        return None
    labels = [match for pattern in (OTHER_LABEL, GENERIC_LABEL) for match in pattern.finditer(text)
              if not _DATE_TIME_LABEL.fullmatch(match.group(0).strip(" .:"))]
    if not labels:
        return None
    covered = {index for match in labels for index in range(match.start(), match.end())}
    cells = len({match.start() for match in labels if _CELL_LABEL.search(text[match.start() : match.end() + 1].strip())}
                - {index + 1 for index in covered})
    for word in re.finditer(r"[^\W\d_]+", text):
        if (cells < 2 and word.start() not in covered and word.group(0)[0].islower()
                and len(word.group(0)) > _HEADER_SMALL_WORD):
            return None
    first = min(labels, key=lambda match: match.start())
    return Label(LabelKind.OTHER, f"{first.group(0).strip()} (column header above)", generic=True)
