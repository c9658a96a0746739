"""The same short text (a quotation in straight quotes, two notes) in twelve languages, for the
tests of typography, scripts, fonts and direction (tests/render/test_languages.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    title: str
    quoted: str  # the words inside the quotation
    before: str  # the sentence the quotation is in, before it
    after: str  # and after it (then note 1's marker)
    second: str  # the second paragraph (then note 2's marker)
    notes: tuple[str, str]
    open: str  # the quotation marks the language's rules put around `quoted`
    close: str
    space: str = " "  # between words and sentences (none in Chinese and Japanese)

    def text(self) -> str:
        return (
            f"{self.title}\n\n"
            f'{self.before}{self.space}"{self.quoted}"{self.space}{self.after}[1]\n\n'
            f"{self.second}[2]\n\n"
            f"[1] {self.notes[0]}\n[2] {self.notes[1]}\n"
        )


NNBSP = "\u202f"
SAMPLES = {
    "en": Sample(
        "The Commune", "all power to the communes", "The workers wrote:",
        "on every wall of the city in 1871.", "Nobody in Versailles could read it calmly.",
        ("A placard of 26 March.", "Thiers said so himself."), "\u201c", "\u201d",
    ),
    "de": Sample(
        "Die Kommune", "alle Macht den Kommunen", "Die Arbeiter schrieben:",
        "an jede Mauer der Stadt im Jahr 1871.", "Niemand in Versailles konnte das ruhig lesen.",
        ("Ein Plakat vom 26. März.", "Thiers sagte es selbst."), "\u201e", "\u201c",
    ),
    "fr": Sample(
        "La Commune", "tout le pouvoir aux communes", "Les ouvriers écrivirent :",
        "sur chaque mur de la ville en 1871.", "Personne à Versailles ne put le lire calmement !",
        ("Une affiche du 26 mars.", "Thiers le dit lui-même."), f"\u00ab{NNBSP}", f"{NNBSP}\u00bb",
    ),
    "es": Sample(
        "La Comuna", "todo el poder a las comunas", "Los obreros escribieron:",
        "en cada muro de la ciudad en 1871.", "Nadie en Versalles pudo leerlo con calma.",
        ("Un cartel del 26 de marzo.", "Thiers lo dijo él mismo."), "\u00ab", "\u00bb",
    ),
    "ru": Sample(
        "Коммуна", "вся власть коммунам", "Рабочие написали:",
        "на каждой стене города в 1871 году.", "Никто в Версале не мог читать это спокойно.",
        ("Плакат от 26 марта.", "Так сказал сам Тьер."), "\u00ab", "\u00bb",
    ),
    "el": Sample(
        "Η Κομμούνα", "όλη η εξουσία στις κομμούνες", "Οι εργάτες έγραψαν:",
        "σε κάθε τοίχο της πόλης το 1871.", "Κανείς στις Βερσαλλίες δεν το διάβασε ήρεμα.",
        ("Αφίσα της 26ης Μαρτίου.", "Το είπε ο ίδιος ο Θιέρσος."), "\u00ab", "\u00bb",
    ),
    "tr": Sample(
        "Komün", "bütün iktidar komünlere", "İşçiler şöyle yazdı:",
        "1871'de şehrin her duvarına.", "Versay'da kimse bunu sakin okuyamadı.",
        ("26 Mart tarihli bir afiş.", "Bunu Thiers kendisi söyledi."), "\u201c", "\u201d",
    ),
    "ar": Sample(
        "الكومونة", "كل السلطة للكومونات", "كتب العمال:",
        "على كل جدار في المدينة عام 1871.", "لم يستطع أحد في فرساي أن يقرأها بهدوء.",
        ("ملصق بتاريخ 26 مارس.", "قال تيير ذلك بنفسه."), "\u00ab", "\u00bb",
    ),
    "fa": Sample(
        "کمون", "همه‌ی قدرت به کمون‌ها", "کارگران نوشتند:",
        "بر هر دیوار شهر در سال ۱۸۷۱.", "هیچ‌کس در ورسای نمی‌توانست آن را با آرامش بخواند.",
        ("پوستری از ۲۶ مارس.", "تیر خودش این را گفت."), "\u00ab", "\u00bb",
    ),
    "he": Sample(
        "הקומונה", "כל הכוח לקומונות", "הפועלים כתבו:",
        "על כל קיר בעיר בשנת 1871.", "איש בוורסאי לא יכול היה לקרוא זאת בשלווה.",
        ("כרזה מ־26 במרץ.", "טייר אמר זאת בעצמו."), "\u201d", "\u201d",
    ),
    "zh": Sample(
        "巴黎公社", "一切权力归公社", "工人们写道：",
        "写在1871年城里的每一面墙上。", "凡尔赛没有人能平静地读它。",
        ("3月26日的一张海报。", "梯也尔自己这样说过。"), "\u201c", "\u201d", "",
    ),
    "ja": Sample(
        "パリ・コミューン", "すべての権力をコミューンへ", "労働者たちは書いた。",
        "と1871年、街のすべての壁に。", "ヴェルサイユの誰も、それを落ち着いて読めなかった。",
        ("3月26日のポスター。", "ティエール自身がそう言った。"), "\u300c", "\u300d", "",
    ),
}  # fmt: skip
RTL = frozenset({"ar", "fa", "he"})
