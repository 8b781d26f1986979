import pytest

from headroom_edge.decision.regions import parse_region


@pytest.mark.parametrize(
    "question, name",
    [
        ("What is in the top-right corner?", "top-right corner"),
        ("what's in the upper left", "top-left corner"),
        ("Read the label in the lower right-hand corner", "bottom-right corner"),
        ("bottom left corner please", "bottom-left corner"),
        ("look at the right hand bottom of the photo", "bottom-right corner"),
        ("what is on the left side?", "left half"),
        ("Who is the person on the left?", "left half"),
        ("describe the right half", "right half"),
        ("what's at the bottom of the picture", "bottom half"),
        ("the top edge of the image", "top half"),
        ("what's in the left third", "left third"),
        ("the middle third", "middle third"),
        ("What is in the background?", "background"),
        ("what's in the foreground", "foreground"),
        ("what is in the center of the image", "center"),
        ("what's in the middle of the photo", "center"),
        ("what does the header say", "top band"),
        ("anything in the footer?", "bottom band"),
        ("the leftmost object", "left half"),
    ],
)
def test_named_regions(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None, question
    assert region.name == name


@pytest.mark.parametrize(
    "question",
    ["What animal is this?", "Describe the scene", "How many people are there?", "", "Is it right?",
     "what is in front of the car"],
)
def test_no_region(question: str) -> None:
    assert parse_region(question) is None


def test_corner_box_and_padding_stay_inside_the_image() -> None:
    region = parse_region("top-right corner")
    assert region is not None
    assert region.box == (0.5, 0.0, 1.0, 0.5)
    left, top, right, bottom = region.padded()
    assert left < 0.5 and top == 0.0 and right == 1.0 and 0.5 < bottom < 0.6
    assert region.area == pytest.approx(0.25)


@pytest.mark.parametrize(
    "question, name",
    [
        ("¿Qué hay en la esquina superior derecha?", "top-right corner"),
        ("¿Qué pone arriba a la izquierda?", "top-left corner"),
        ("¿Quién es la persona de la izquierda?", "left half"),
        ("O que tem no canto inferior esquerdo?", "bottom-left corner"),
        ("O que aparece na metade de baixo da imagem?", "bottom half"),
        ("Qu'y a-t-il dans le coin supérieur gauche ?", "top-left corner"),
        ("Que voit-on dans la moitié droite de l'image ?", "right half"),
        ("Cosa c'è nell'angolo in basso a sinistra?", "bottom-left corner"),
        ("Was liegt in der rechten unteren Ecke?", "bottom-right corner"),
        ("Was ist oben links?", "top-left corner"),
        ("Wer steht ganz rechts im Bild?", "right half"),
        ("Что в правом верхнем углу?", "top-right corner"),
        ("Что видно в нижней половине снимка?", "bottom half"),
        ("Кто стоит слева?", "left half"),
        ("右上角是什么？", "top-right corner"),
        ("图片下半部分有什么？", "bottom half"),
        ("左下の角にあるものは何？", "bottom-left corner"),
        ("画像の下半分には何が写っていますか？", "bottom half"),
        ("오른쪽 위 구석에 뭐가 있어요?", "top-right corner"),
        ("왼쪽 아래 모서리에 있는 건 뭐예요?", "bottom-left corner"),
        ("ऊपर दाएँ कोने में क्या है?", "top-right corner"),
        ("तस्वीर के निचले आधे हिस्से में क्या है?", "bottom half"),
        ("照片背景里是什么？", "background"),
        ("Schau nur auf die Seitenleiste", "left band"),
    ],
)
def test_named_regions_in_other_languages(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None, question
    assert region.name == name


@pytest.mark.parametrize(
    "question",
    [
        "Is there room for a left-aligned title on this photo?",
        "Which window is in front?",
        "What's on the label on the back of the jar?",
        "I can only see it from the last row of the hall, what does the slide say?",
        "Click the links in the email",
        "¿Qué dice la carta?",
        "这封信写了什么？",
    ],
)
def test_spatial_words_that_name_no_region(question: str) -> None:
    assert parse_region(question) is None
