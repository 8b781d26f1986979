import pytest

from headroom_edge.decision.regions import parse_part, parse_region


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


# --- word families beyond corners, halves and thirds --------------------------------------------


@pytest.mark.parametrize(
    "question, name",
    [
        ("What's in the bottom panel?", "bottom half"),
        ("read the numbers in the top panel", "top half"),
        ("what does the left pane list?", "left half"),
        ("the right-hand pane, please", "right half"),
        ("which chart is in the lower panel", "lower half"),
    ],
)
def test_panels_and_panes_are_their_half(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question


@pytest.mark.parametrize(
    "question, name",
    [
        ("what links are in the sidebar?", "left band"),
        ("what's listed in the right sidebar?", "right band"),
        ("the right-hand side bar", "right band"),
    ],
)
def test_sidebars(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question


@pytest.mark.parametrize(
    "question, name, box",
    [
        ("What are the values in the first column?", "first column", (0.0, 0.0, 0.4, 1.0)),
        ("sum the last column", "last column", (0.6, 0.0, 1.0, 1.0)),
        ("what does the header row say?", "first row", (0.0, 0.0, 1.0, 1 / 3)),
        ("What is in the first row of the table?", "first row", (0.0, 0.0, 1.0, 1 / 3)),
        ("In this spreadsheet, what's in the last row?", "last row", (0.0, 2 / 3, 1.0, 1.0)),
        ("which icons are in the top row?", "first row", (0.0, 0.0, 1.0, 1 / 3)),
        ("the bottom row of keys", "last row", (0.0, 2 / 3, 1.0, 1.0)),
    ],
)
def test_outer_columns_and_rows(question: str, name: str, box: tuple[float, float, float, float]) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question
    assert region.box == pytest.approx(box)


@pytest.mark.parametrize(
    "question",
    [
        "What's in the second column?",  # depends on how many columns there are
        "Who is standing in the first row?",  # a group photo's first row is its front (bottom)
        "Who sits in the last row?",
    ],
)
def test_rows_and_columns_without_a_fixed_place_are_not_read(question: str) -> None:
    assert parse_region(question) is None


@pytest.mark.parametrize(
    "question, name",
    [
        ("what does the title bar say?", "top band"),
        ("read the status bar", "bottom band"),
        ("what's in the footer", "bottom band"),
        ("which items are in the menu bar?", "top band"),
        ("what's on the bottom strip?", "bottom band"),
        ("the top strip of the poster", "top band"),
        ("anything written on the left strip?", "left band"),
        ("the right-hand strip", "right band"),
    ],
)
def test_bars_and_strips_are_bands(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question


def test_band_boxes() -> None:
    assert parse_region("the bottom strip").box == (0.0, 0.75, 1.0, 1.0)
    assert parse_region("the right sidebar").box == (0.7, 0.0, 1.0, 1.0)
    assert parse_region("the title bar").box == (0.0, 0.0, 1.0, 0.25)


@pytest.mark.parametrize(
    "question, name",
    [
        ("what is in the upper-right quadrant?", "top-right corner"),
        ("the bottom left quadrant", "bottom-left corner"),
        ("what's in the upper third?", "upper third"),
        ("describe the lower half", "lower half"),
    ],
)
def test_quadrants_thirds_and_halves(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question


@pytest.mark.parametrize(
    "question",
    ["What does the legend say?", "Read the caption", "what is shown in the inset?", "what does the key mean?",
     "¿Qué dice la leyenda?", "Was steht in der Legende?", "图例是什么意思？"],
)
def test_parts_without_a_fixed_place_are_not_read(question: str) -> None:
    assert parse_region(question) is None


@pytest.mark.parametrize(
    "question, name",
    [
        ("what does the legend in the top right say?", "top-right corner"),
        ("read the caption at the bottom", "bottom half"),
        ("the inset in the lower-left corner", "bottom-left corner"),
    ],
)
def test_parts_without_a_fixed_place_take_a_named_position(question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None and region.name == name, question


@pytest.mark.parametrize(
    "question",
    [
        "Is the title right-aligned?",
        "Make it left-justified",
        "I was sitting in the front row, what does the banner say?",
        "From the back row of the theatre, can you read the sign?",
        "Who is in the first row of the audience?",
        "What does the last row of seats look like from here?",
        "¿Quién está en primera fila?",
        "Какого цвета шапка?",
        "下部电影什么时候上映？",
        "Desde la última fila no se ve nada, ¿qué dice la pantalla?",
    ],
)
def test_more_spatial_words_that_name_no_region(question: str) -> None:
    assert parse_region(question) is None


# One table, several languages per word family: (language, question, region).
LOCALISED_FAMILIES = [
    # panels / panes
    ("es", "¿Qué muestra el panel inferior?", "bottom half"),
    ("pt", "O que aparece no painel esquerdo?", "left half"),
    ("it", "Cosa c'è nel pannello di destra?", "right half"),
    ("fr", "Que montre le panneau supérieur ?", "top half"),
    ("de", "Was zeigt der linke Bereich?", "left half"),
    ("ru", "Что на нижней панели?", "bottom half"),
    ("zh", "左侧面板里有什么？", "left half"),
    ("ja", "右のパネルには何がありますか？", "right half"),
    ("ko", "하단 패널에 뭐가 있어요?", "bottom half"),
    ("hi", "बाएँ पैनल में क्या है?", "left half"),
    # sidebars
    ("es", "¿Qué enlaces hay en la barra lateral derecha?", "right band"),
    ("de", "Was steht in der rechten Seitenleiste?", "right band"),
    ("fr", "Que contient la barre latérale ?", "left band"),
    ("ja", "サイドバーに何がありますか？", "left band"),
    # columns
    ("es", "¿Qué valores hay en la primera columna?", "first column"),
    ("pt", "Quais são os valores da última coluna?", "last column"),
    ("it", "Cosa c'è nella prima colonna?", "first column"),
    ("fr", "Que contient la dernière colonne ?", "last column"),
    ("de", "Was steht in der ersten Spalte?", "first column"),
    ("ru", "Что в первом столбце?", "first column"),
    ("zh", "第一列是什么？", "first column"),
    ("ja", "最後の列の値は？", "last column"),
    ("ko", "첫 번째 열에 뭐가 있어요?", "first column"),
    ("hi", "पहले कॉलम में क्या है?", "first column"),
    # rows
    ("es", "¿Qué dice la fila de encabezado?", "first row"),
    ("pt", "O que diz a linha de cabeçalho?", "first row"),
    ("it", "Cosa c'è nella riga di intestazione?", "first row"),
    ("fr", "Que dit la première ligne du tableau ?", "first row"),
    ("de", "Was steht in der letzten Zeile der Tabelle?", "last row"),
    ("ru", "Что в первой строке таблицы?", "first row"),
    ("zh", "表头写了什么？", "first row"),
    ("ja", "ヘッダー行には何と書いてありますか？", "first row"),
    ("ko", "표의 마지막 행은 뭐예요?", "last row"),
    ("hi", "तालिका की पहली पंक्ति में क्या है?", "first row"),
    # title bars, status bars, footers, headers
    ("es", "¿Qué dice la barra de estado?", "bottom band"),
    ("pt", "O que diz o rodapé?", "bottom band"),
    ("it", "Cosa c'è nella barra del titolo?", "top band"),
    ("fr", "Que dit le pied de page ?", "bottom band"),
    ("de", "Was steht in der Titelleiste?", "top band"),
    ("ru", "Что написано в строке состояния?", "bottom band"),
    ("zh", "状态栏显示什么？", "bottom band"),
    ("ja", "タイトルバーには何と書いてありますか？", "top band"),
    ("ko", "상태 표시줄에 뭐라고 써 있어요?", "bottom band"),
    ("hi", "फ़ुटर में क्या लिखा है?", "bottom band"),
    # strips
    ("es", "¿Qué hay en la franja inferior?", "bottom band"),
    ("fr", "Que voit-on sur la bande du bas ?", "bottom band"),
    ("de", "Was ist auf dem unteren Streifen?", "bottom band"),
    ("ru", "Что на нижней полосе?", "bottom band"),
    ("ja", "下部の帯に何がありますか？", "bottom band"),
    # quadrants
    ("es", "¿Qué hay en el cuadrante superior derecho?", "top-right corner"),
    ("fr", "Que voit-on dans le quadrant inférieur gauche ?", "bottom-left corner"),
    ("de", "Was ist im oberen rechten Quadranten?", "top-right corner"),
    ("ru", "Что в правом верхнем квадранте?", "top-right corner"),
    ("zh", "右上象限里有什么？", "top-right corner"),
    ("ko", "오른쪽 위 사분면에 뭐가 있어요?", "top-right corner"),
    # thirds
    ("es", "¿Qué hay en el tercio izquierdo?", "left third"),
    ("pt", "O que está no terço superior?", "top third"),
    ("it", "Cosa c'è nel terzo destro?", "right third"),
    ("fr", "Que voit-on dans le tiers inférieur ?", "bottom third"),
    ("de", "Was ist im linken Drittel?", "left third"),
    ("ru", "Что в правой трети?", "right third"),
    ("zh", "左三分之一是什么？", "left third"),
    ("ja", "上部の3分の1に何がありますか？", "top third"),
    ("ko", "가운데 3분의 1에 뭐가 있어요?", "middle third"),
    ("hi", "बाएँ तिहाई में क्या है?", "left third"),
    # halves and sides
    ("it", "Cosa c'è nella metà di sinistra?", "left half"),
    ("fr", "Que voit-on dans la partie droite ?", "right half"),
    ("zh", "底部写了什么？", "bottom half"),
    ("ko", "상단에 뭐가 있어요?", "top half"),
    ("ja", "右の男の人は何を着ていますか？", "right half"),
]


@pytest.mark.parametrize("lang, question, name", LOCALISED_FAMILIES,
                         ids=[f"{lang}-{i}" for i, (lang, _, _) in enumerate(LOCALISED_FAMILIES)])
def test_word_families_in_the_routers_languages(lang: str, question: str, name: str) -> None:
    region = parse_region(question)
    assert region is not None, (lang, question)
    assert region.name == name, (lang, question, region.name)


def test_every_localised_language_has_a_new_word_family() -> None:
    assert {lang for lang, _, _ in LOCALISED_FAMILIES} == {"es", "pt", "it", "fr", "de", "ru", "zh", "ja", "ko", "hi"}


@pytest.mark.parametrize(
    "question",
    ["What does the legend say?", "List the chart legend entries.", "What does the map key say?",
     "¿Qué pone en la leyenda del gráfico?", "Was steht in der Legende?", "Que dit la légende du graphique ?",
     "O que diz a legenda do gráfico?", "Cosa c'è scritto nella legenda?", "Что написано в легенде?",
     "图例上写了什么？", "凡例の項目は？", "범례에 뭐라고 적혀 있어?", "लेजेंड में क्या लिखा है?"],
)
def test_the_legend_is_a_part_to_locate(question: str) -> None:
    assert parse_part(question) == "legend"


@pytest.mark.parametrize(
    "question",
    ["Propose une légende courte pour ce cliché.", "Sugere uma legenda curta para esta imagem.",
     "He is a legend on this team", "Where is the key?", "Read the caption", "Copie toutes les légendes du schéma.", ""],
)
def test_captions_to_write_and_other_keys_are_no_part(question: str) -> None:
    """An indefinite article asks for a caption to be written (a gist request), and "the key"
    alone is a keyboard's."""
    assert parse_part(question) is None
