"""Title, headings and datelines in scripts with and without case (Arabic, Persian, Hebrew,
Chinese, Japanese) as well as in Russian, Greek and English: found by position, length and
punctuation, never by a capital letter alone. The texts are invented for these tests."""

# ruff: noqa: E501  (whole paragraphs of prose in scripts that ruff cannot wrap for us)

from __future__ import annotations

from pathlib import Path

import pytest

from flows.clean.text import Block, clean, is_dateline, word_count
from flows.markdown import split_blocks
from flows.model import Document

# Each: title, a paragraph, a heading, a paragraph, a short sentence, a last paragraph.
TEXTS: dict[str, tuple[str, ...]] = {
    "ar": (
        "الثورة والدولة",
        "كتب هذا النص في صيف عام ألف وتسعمائة وسبعة عشر، حين كان الكاتب مختبئاً من الشرطة، وأراد أن يشرح للعمال كيف تنشأ الدولة ولماذا لا يمكن استعمالها كما هي لتحرير الطبقة العاملة من الاستغلال والظلم.",
        "الدولة أداة طبقية",
        "يرى الكاتب أن الدولة ليست فوق المجتمع بل هي نتاجه، وأنها تظهر حيث تعجز الطبقات عن التوفيق بين مصالحها المتناقضة، فتصبح قوة منفصلة عن الشعب ومسلحة ضده في كل مكان وزمان.",
        "هذا هو السؤال.",
        "ويختم الكاتب بأن العمال لا يستطيعون أن يأخذوا آلة الدولة الجاهزة كما هي، بل عليهم أن يحطموها وأن يبنوا مكانها سلطة جديدة يراقبها الناس أنفسهم في المصانع والأحياء والقرى.",
    ),
    "fa": (
        "دولت و انقلاب",
        "این متن در تابستان سال هزار و نهصد و هفده نوشته شد، زمانی که نویسنده از پلیس پنهان شده بود و می\u200cخواست برای کارگران توضیح دهد که دولت چگونه پدید می\u200cآید و چرا نمی\u200cتوان آن را همان\u200cگونه که هست به کار برد.",
        "دولت ابزار طبقاتی است",
        "به نظر نویسنده دولت بالای جامعه نیست بلکه محصول آن است، و آنجا پدید می\u200cآید که طبقات نمی\u200cتوانند منافع متضاد خود را آشتی دهند، پس نیرویی جدا از مردم و مسلح در برابر آنان می\u200cشود.",
        "این پرسش اصلی است.",
        "نویسنده در پایان می\u200cگوید که کارگران نمی\u200cتوانند ماشین آماده دولت را همان\u200cگونه که هست بگیرند، بلکه باید آن را درهم بشکنند و قدرتی تازه بسازند که مردم خود در کارخانه\u200cها و محله\u200cها بر آن نظارت کنند.",
    ),
    "he": (
        "המדינה והמהפכה",
        "הטקסט הזה נכתב בקיץ של שנת אלף תשע מאות ושבע עשרה, כאשר המחבר הסתתר מפני המשטרה ורצה להסביר לפועלים כיצד נוצרת המדינה ומדוע אי אפשר להשתמש בה כפי שהיא כדי לשחרר את מעמד הפועלים.",
        "המדינה ככלי מעמדי",
        "לדעת המחבר המדינה אינה עומדת מעל החברה אלא היא תוצר שלה, והיא מופיעה במקום שבו המעמדות אינם יכולים ליישב את האינטרסים הסותרים שלהם, ולכן היא הופכת לכוח נפרד מן העם ומזוין נגדו.",
        "זו השאלה.",
        "המחבר מסכם שהפועלים אינם יכולים לקחת את מכונת המדינה המוכנה כפי שהיא, אלא עליהם לשבור אותה ולבנות במקומה שלטון חדש שהאנשים עצמם מפקחים עליו בבתי החרושת, בשכונות ובכפרים.",
    ),
    "zh": (
        "国家与革命",
        "这篇文章写于一九一七年夏天，当时作者正在躲避警察的追捕，他想向工人们解释国家是怎样产生的，以及为什么工人阶级不能简单地掌握现成的国家机器并用它来达到自己的目的。",
        "国家是阶级统治的工具",
        "作者认为国家并不是凌驾于社会之上的力量，而是社会发展到一定阶段的产物，它出现在阶级矛盾不可调和的地方，于是成为一种与人民相脱离并且武装起来反对人民的力量。",
        "这就是问题所在。",
        "作者最后指出，工人不能把现成的国家机器拿来就用，而必须把它打碎，并在原地建立一个由人民自己在工厂、街区和村庄里监督的新的政权。",
    ),
    "ja": (
        "国家と革命",
        "この文章は一九一七年の夏に書かれた。当時、著者は警察から身を隠しており、国家がどのように生まれるのか、そしてなぜ労働者階級が既存の国家機構をそのまま使うことができないのかを労働者に説明しようとした。",
        "階級支配の道具としての国家",
        "著者によれば、国家は社会の上に立つものではなく社会の産物であり、階級の対立が和解できないところに現れる。こうして国家は人民から切り離され、人民に対して武装した力となるのである。",
        "これが問題である。",
        "著者は最後に、労働者は出来上がった国家機構をそのまま手に入れることはできず、それを打ち砕き、工場や町や村で人々自身が監督する新しい権力を築かなければならないと述べている。",
    ),
    "ru": (
        "Государство и революция",
        "Этот текст был написан летом тысяча девятьсот семнадцатого года, когда автор скрывался от полиции и хотел объяснить рабочим, как возникает государство и почему рабочий класс не может просто взять готовую государственную машину и пустить её в ход для своих целей.",
        "Государство как орудие класса",
        "По мнению автора, государство не стоит над обществом, а является его продуктом; оно возникает там, где классовые противоречия не могут быть примирены, и становится силой, отделённой от народа и вооружённой против него.",
        "Вот в чём вопрос.",
        "Автор заключает, что рабочие должны разбить готовую государственную машину и построить на её месте новую власть, которую сами люди контролируют на фабриках, в кварталах и в деревнях.",
    ),
    "el": (
        "Κράτος και επανάσταση",
        "Το κείμενο αυτό γράφτηκε το καλοκαίρι του χίλια εννιακόσια δεκαεπτά, όταν ο συγγραφέας κρυβόταν από την αστυνομία και ήθελε να εξηγήσει στους εργάτες πώς γεννιέται το κράτος και γιατί η εργατική τάξη δεν μπορεί απλώς να πάρει την έτοιμη κρατική μηχανή.",
        "Το κράτος ως όργανο τάξης",
        "Κατά τον συγγραφέα, το κράτος δεν στέκεται πάνω από την κοινωνία αλλά είναι προϊόν της· εμφανίζεται εκεί όπου οι ταξικές αντιθέσεις δεν μπορούν να συμφιλιωθούν, και γίνεται δύναμη χωρισμένη από τον λαό και οπλισμένη εναντίον του.",
        "Αυτό είναι το ερώτημα.",
        "Ο συγγραφέας καταλήγει ότι οι εργάτες πρέπει να σπάσουν την έτοιμη κρατική μηχανή και να χτίσουν στη θέση της μια νέα εξουσία που οι ίδιοι οι άνθρωποι ελέγχουν στα εργοστάσια, στις γειτονιές και στα χωριά.",
    ),
    "en": (
        "The State and Revolution",
        "This text was written in the summer of nineteen seventeen, when its author was hiding from the police and wanted to explain to the workers how the state arises and why the working class cannot simply lay hold of the ready-made state machine.",
        "The state as an instrument of class rule",
        "In the view of the author the state does not stand above society but is its product; it arises where class antagonisms cannot be reconciled, and becomes a power separated from the people and armed against them.",
        "That is the question.",
        "The author concludes that the workers must smash the ready-made state machine and build in its place a new power which the people themselves control in the factories, the districts and the villages.",
    ),
}


def cleaned(text: str, language: str) -> Document:
    return clean(
        Document(source=Path("state.txt"), slug="state", text=text, meta={"language": language})
    )


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_title_and_heading_are_found_and_the_body_keeps_its_sentences(language: str) -> None:
    title, first, heading, second, sentence, last = TEXTS[language]
    doc = cleaned("\n\n".join(TEXTS[language]) + "\n", language)
    assert doc.meta["title"] == title  # not the file name
    blocks = split_blocks(doc.body)
    assert title not in doc.body  # not repeated as the body's first line
    assert blocks == [first, f"## {heading}", second, sentence, last]


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_a_sentence_of_the_body_is_not_a_heading_nor_the_title(language: str) -> None:
    title, first, _, second, sentence, last = TEXTS[language]
    doc = cleaned("\n\n".join((sentence, first, second, last)) + "\n", language)
    assert doc.meta["title"] == "state"  # no title line: the file name, and a warning
    assert split_blocks(doc.body)[0] == sentence


@pytest.mark.parametrize(
    ("text", "words"),
    [("國家與革命", 3), ("国家と革命について", 5), ("Государство и революция", 3), ("A B", 2)],
)
def test_words_are_counted_in_scripts_without_spaces(text: str, words: int) -> None:
    assert word_count(text) == words


@pytest.mark.parametrize(
    "line",
    [
        "القاهرة، 12 March 1921",
        "Москва, 1918-03-12",
        "1921年3月12日",
        "東京、1921年3月12日",
        "12.03.1921",
    ],
)
def test_datelines_in_any_script(line: str) -> None:
    assert is_dateline(Block(line))


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("de", "Anmerkungen"),
        ("ru", "Примечания"),
        ("ar", "الحواشي"),
        ("zh", "注释"),
        ("el", "Σημειώσεις"),
    ],
)
def test_a_notes_list_under_a_heading_in_the_texts_language_is_linked(
    language: str, heading: str
) -> None:
    """The heading of the notes list is the list's, not a paragraph left at the end of the body."""
    text = f"Title\n\nThe first sentence of the text.[1] And another one.[2]\n\n{heading}\n\n"
    text += "[1] The first note.\n\n[2] The second note.\n"
    from flows.footnotes.link import link_notes

    doc = link_notes(cleaned(text, language))
    assert heading not in doc.body
    assert "[^1]: The first note." in doc.body and "[^2]: The second note." in doc.body
