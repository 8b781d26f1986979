"""Real test images and request bodies, built from pixels we render or from photos PyPI ships.

Every factory returns encoded bytes; tests decode what comes back to check what was really sent.
"""

from __future__ import annotations

import base64
import io
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont  # noqa: F401  (Image re-exported for tests)

LOREM = (
    "Invoice 2291 from Northwind Traders. Item one: copper wire, 12 rolls at 4.50 each. "
    "Item two: brass fittings, 40 pieces at 0.85 each. Shipping to 14 Harbour Road. "
    "Payment due within thirty days of the invoice date. Thank you for your business."
)


def encode(img: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_url(data: bytes, media_type: str = "image/jpeg") -> str:
    return f"data:{media_type};base64,{b64(data)}"


@cache
def _photo_array() -> np.ndarray:
    """scikit-image's astronaut (a real photograph, public domain, shipped on PyPI)."""
    from skimage import data

    return data.astronaut()


def photo(width: int = 1024, height: int = 1024) -> Image.Image:
    return Image.fromarray(_photo_array()).resize((width, height), Image.Resampling.BICUBIC)


def photo_jpeg(width: int = 1024, height: int = 1024, quality: int = 90) -> bytes:
    return encode(photo(width, height), "JPEG", quality=quality)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def document(width: int = 1000, height: int = 1300, size: int = 22, text: str = LOREM) -> Image.Image:
    """A white page of black paragraph text, wrapped to the page width."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    fnt = font(size)
    y, margin = 60, 60
    for paragraph in (text, text.upper(), text):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=fnt) > width - 2 * margin and line:
                draw.text((margin, y), line, fill="black", font=fnt)
                y += int(size * 1.5)
                line = word
            else:
                line = trial
        draw.text((margin, y), line, fill="black", font=fnt)
        y += int(size * 2.5)
    return img


def document_png(**kwargs: object) -> bytes:
    return encode(document(**kwargs), "PNG")  # type: ignore[arg-type]


def screenshot(width: int = 1920, height: int = 1080) -> Image.Image:
    """A UI-like screenshot: flat panels, a title bar, buttons and small labels."""
    img = Image.new("RGB", (width, height), (245, 246, 248))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, 48), fill=(32, 40, 56))
    draw.text((16, 12), "Settings - Account", fill="white", font=font(20))
    draw.rectangle((0, 48, 260, height), fill=(226, 230, 236))
    for i, label in enumerate(["Profile", "Security", "Billing", "Notifications", "API keys"]):
        draw.text((24, 80 + i * 40), label, fill=(20, 20, 20), font=font(16))
    for i in range(6):
        y = 100 + i * 120
        draw.rectangle((320, y, width - 80, y + 90), outline=(200, 204, 210), fill="white")
        draw.text((340, y + 14), f"Option {i + 1}: enable feature number {i * 7 + 3}", fill=(30, 30, 30), font=font(18))
        draw.rectangle((width - 260, y + 25, width - 110, y + 65), fill=(40, 110, 220))
        draw.text((width - 232, y + 34), "Save", fill="white", font=font(18))
    return img


def quadrants(size: int = 800) -> Image.Image:
    """Four solid colours: red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    img = Image.new("RGB", (size, size))
    half = size // 2
    for (x, y), colour in {(0, 0): "red", (half, 0): "lime", (0, half): "blue", (half, half): "yellow"}.items():
        img.paste(Image.new("RGB", (half, half), colour), (x, y))
    return img


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def openai_chat_body(image: bytes, question: str, *, media_type: str = "image/jpeg",
                     model: str = "gpt-4o", detail: str | None = None) -> dict:
    image_url: dict = {"url": data_url(image, media_type)}
    if detail:
        image_url["detail"] = detail
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": "You are a careful assistant."},
            {"role": "user", "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": image_url},
            ]},
        ],
        "max_tokens": 300,
        "temperature": 0.2,
    }


def anthropic_body(image: bytes, question: str, *, media_type: str = "image/jpeg",
                   model: str = "claude-sonnet-4-5") -> dict:
    return {
        "model": model,
        "max_tokens": 300,
        "system": "Answer briefly.",
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": b64(image)}},
            {"type": "text", "text": question},
        ]}],
    }


def gemini_body(image: bytes, question: str, *, media_type: str = "image/jpeg") -> dict:
    return {
        "contents": [{"role": "user", "parts": [
            {"text": question},
            {"inlineData": {"mimeType": media_type, "data": b64(image)}},
        ]}],
        "generationConfig": {"temperature": 0.1},
    }


def responses_body(image: bytes, question: str, *, media_type: str = "image/jpeg", model: str = "gpt-5") -> dict:
    return {
        "model": model,
        "input": [{"role": "user", "content": [
            {"type": "input_text", "text": question},
            {"type": "input_image", "image_url": data_url(image, media_type), "detail": "auto"},
        ]}],
    }
