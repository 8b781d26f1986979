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
