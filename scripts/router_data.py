"""Generate the labelled question sets the query router is trained and evaluated on.

Usage::

    .venv/bin/python scripts/router_data.py --out reports/router_data   # writes train/heldout jsonl
    .venv/bin/python scripts/router_data.py --show 20                    # print samples

Design
------
Every example is ``template x slot fillers x style transforms``:

* templates per technique, with inline alternatives (``[what's|what is]``) and slots (``{big}``);
* slot fillers (objects, regions, documents, gauges, ...);
* style transforms: context sentences before the question, politeness wrappers, trailing chatter,
  multi-image framing, lowercase / no punctuation / shouting, slang (``u``, ``pls``, ``whats``) and
  keyboard typos.

On top of that come the hand-written examples in ``scripts/router_examples.txt`` (``label | text``
lines under ``## split: train`` or ``## split: heldout``). Finally every text goes through :func:`headroom_edge.router.query.extract_ask`
exactly as at routing time, so the model learns the text shape it will see.

Held-out split (the honest one): generated from *different* templates (``HELDOUT_TEMPLATES``) and
*different* vocabulary (the ``heldout`` half of every filler pool, plus held-out context and chatter
sentences), never from a random split of the training templates; plus the hand-written ``heldout``
examples. Training never sees any of it. Exact duplicates of training texts are removed from it.

Label rules (the order is the priority, first match wins)
---------------------------------------------------------
1. ``crop`` - the question names a region: corners, sides, halves, thirds, top/bottom, centre,
   background/foreground, "in the distance", "the person on the left", "the second car from the
   right", header/footer/sidebar of a screenshot. **A named region wins over everything else**,
   including reading text ("read the text in the top left corner" is ``crop``) and fine detail
   ("how many birds are in the top half" is ``crop``): the crop keeps the region's pixels at full
   resolution, so the model can still read or count there, while whole-image OCR would mix in text
   the user did not ask about. This is the same rule as ``headroom_edge.decision.rules``.
2. ``transcode`` - the text itself is the answer: read / transcribe / OCR / extract / copy / type
   out the text, "what does the sign/note/poster say", "what's written on ...", translate the text,
   summarise or answer from a *document* (receipt, invoice, letter, form, menu, page, slide,
   screenshot of text: "what's the total on this receipt", "who is the letter from"), convert a
   receipt/table/form to JSON/CSV/markdown.
3. ``preserve`` - fine detail: counting things ("how many ..."), exact readings of clocks, gauges,
   meters, scales ("what does the thermometer read" / "what does the scale say" are readings, not
   text), small text *inside a scene* that identifies something (brand, logo, model/serial/part
   number, licence plate, price tag, jersey number, expiry date), defects (scratches, cracks, rust,
   dents, stains), exact chart values (including "extract the data from this chart": a chart's
   values are graphics, OCR cannot recover them), tiny objects and "look closely / zoom in".
4. ``full_low`` - everything about the whole picture: gist, scene, what is this, category or kind
   (also "what kind of document is this"), colour or mood of big things, weather, season, captions,
   alt text, tags, yes/no about the whole ("is there a dog?"), composition, comparisons of whole
   images.

Border pairs the templates deliberately cover: "what does the sign say" (transcode) / "what brand
is the shirt" (preserve) / "what colour is the car" (full_low) / "what's in the top left corner"
(crop) / "read the text in the top left corner" (crop); "summarise this photo" (full_low) /
"summarise this letter" (transcode); "write a caption" (full_low) / "what does the caption say"
(transcode); "read the gauge" (preserve) / "read the note" (transcode); "is there a dog" (full_low) /
"how many dogs" (preserve); "what kind of document is this" (full_low) / "what does this document
say" (transcode).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from headroom_edge.router.query import _IMPERATIVE_VERBS, extract_ask  # noqa: E402

LABELS = ("full_low", "preserve", "crop", "transcode")
EXAMPLES_FILE = ROOT / "scripts" / "router_examples.txt"
DEFAULT_SEED = 1234
TRAIN_PER_LABEL = 1500
HELDOUT_PER_LABEL = 90


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    """"gen:<label>:<template index>" or "hand"."""


@dataclass(frozen=True)
class Pool:
    train: tuple[str, ...]
    heldout: tuple[str, ...]


def _p(train: str, heldout: str) -> Pool:
    split = lambda s: tuple(x.strip() for x in s.split("|") if x.strip())  # noqa: E731
    return Pool(split(train), split(heldout))


# --------------------------------------------------------------------------------------------
# Slot fillers: "train | train | ..." and a disjoint held-out vocabulary.
# --------------------------------------------------------------------------------------------
SLOTS: dict[str, Pool] = {
    "img": _p(
        "photo|picture|image|pic|shot|snapshot|photograph|image|photo|picture",
        "snap|frame|capture|still|photo|picture|image",
    ),
    "imgs": _p("photos|pictures|images|pics|shots", "snaps|frames|stills|photos|images"),
    "n": _p("two|both|three|these|all the|all four", "the two|all 5|each of these|the three|these"),
    "big": _p(
        "car|house|sky|dress|sofa|wall|boat|front door|jacket|truck|building|bike|tent|umbrella|bus|"
        "cat|dog|horse|shirt|shoes|flowers|fence|roof|backpack|table|chair|balloon|couch|bag|"
        "helmet|kayak|mug|bedspread|blanket|scarf|water|grass|sea|sand|motorbike|sneakers|curtains|"
        "fridge|door|walls|sofa cushions|car's paint|bird|flowers in the vase|jumper|plane|sky at sunset",
        "van|barn|tractor|sweater|rug|kite|train|bridge|scooter|coat|hat|parrot|sailboat|armchair|"
        "skirt|pickup|lamp|vase|cow|tree|hoodie|suitcase|canoe|mailbox|bench|car",
    ),
    "colour": _p(
        "red|blue|green|black|white|yellow|grey|brown|pink|orange|purple|silver",
        "teal|navy|beige|maroon|gold|turquoise|cream|olive|red|blue",
    ),
    "mood": _p(
        "cheerful|gloomy|cozy|calm|busy|chaotic|romantic|spooky|peaceful|festive|sad|happy|tense",
        "serene|moody|lively|eerie|melancholic|joyful|dreamy|nostalgic",
    ),
    "animal": _p(
        "dog|cat|bird|horse|cow|deer|squirrel|duck|rabbit|fox|bear|goat",
        "llama|owl|frog|turtle|hedgehog|swan|lizard|pig|monkey",
    ),
    "category": _p(
        "animal|bird|flower|plant|car|building|dog|food|dish|tree|insect|boat|bridge|architecture|"
        "fish|mushroom|shoe|furniture",
        "cactus|lizard|pastry|aircraft|rock formation|cheese|monument|fern|cloud",
    ),
    "scene": _p(
        "beach|city street|forest|living room|office|restaurant|stadium|park|mountain trail|airport|"
        "classroom|farm|concert|wedding|kitchen|market|desert|harbor|playground|museum",
        "subway station|vineyard|ski slope|library|bakery|campsite|rooftop bar|hospital ward|"
        "waterfall|train platform",
    ),
    "room": _p(
        "living room|bedroom|kitchen|bathroom|office|hallway|dining room",
        "studio apartment|nursery|patio|lobby|attic",
    ),
    "person": _p(
        "person|man|woman|guy|girl|boy|kid|lady|player|child|runner",
        "gentleman|teenager|cyclist|waiter|toddler|dancer|officer",
    ),
    "side": _p("left|right|far left|far right", "left|right|far-left|far-right|left-hand side"),
    "region": _p(
        "top left corner|top right corner|bottom left corner|bottom right corner|upper left corner|"
        "upper right corner|lower left corner|lower right corner|top-left corner|bottom-right corner|"
        "top left|bottom right|upper right|lower left|left side|right side|left half|right half|"
        "top half|bottom half|upper half|lower half|background|foreground|center|centre|middle|"
        "top|bottom|left third|right third|middle third|top third|bottom third|left edge|right edge|"
        "top edge|bottom edge|far left|far right|top corner on the left|bottom corner on the right",
        "upper-left quadrant|lower-right quadrant|right-hand side|left-hand side|very top|"
        "very bottom|top-right area|bottom-left region|centre of the frame|rightmost third|"
        "leftmost third|upper portion|lower part|lower-left corner|upper-right corner|"
        "top right-hand corner|bottom left-hand corner|back of the shot|front of the picture",
    ),
    "things": _p(
        "coins|birds|people|cars|apples|screws|pills|stars|windows|trees|sheep|books|bottles|chairs|"
        "cookies|ducks|boats|bricks|buttons|fish|cans|eggs|tomatoes|bolts|chickens|oranges|"
        "pencils|cupcakes|bicycles|flowers|ants|balloons|cards|students|cows|sticks|lights|"
        "grapes|shells|plates|glasses|horses|deer|mushrooms|strawberries|logs|fence posts|cars on the road",
        "marbles|pigeons|nails|beads|muffins|lanterns|tiles|seeds|candles|stamps|jellybeans|"
        "rivets|kayaks|goats|paperclips|dice|donuts|lemons|crates|sailboats",
    ),
    "place": _p(
        "on the table|in the jar|in the parking lot|on the shelf|in the tray|in the field|"
        "in the crowd|on the wire|in the box|in the pond|on the plate|in the bowl|on the tree|"
        "in the harbor|on the floor|in the photo|in this picture|in the image|on the desk",
        "in the bin|on the roof|along the fence|in the basket|on the counter|in the display case|"
        "on the lawn|in the carton",
    ),
    "clock": _p(
        "clock|wall clock|watch|clock tower|alarm clock|wristwatch|kitchen clock",
        "stopwatch|pocket watch|station clock|grandfather clock|dashboard clock",
    ),
    "gauge": _p(
        "thermometer|speedometer|pressure gauge|fuel gauge|electricity meter|water meter|scale|"
        "ruler|tire pressure gauge|voltmeter|odometer|barometer|gauge|meter|dial|thermostat|"
        "blood pressure monitor|weighing scale|oil pressure gauge",
        "tachometer|meat thermometer|gas meter|multimeter|bathroom scale|oven dial|manometer|"
        "altimeter|caliper|measuring cup|tape measure|hygrometer|boost gauge",
    ),
    "quantity": _p(
        "temperature|pressure|speed|weight|voltage|reading|number|value|level|humidity",
        "rpm|psi|mileage|depth|length|amount",
    ),
    "item": _p(
        "shirt|shoes|sneakers|laptop|car|watch|bag|phone|bottle|cereal box|guitar|jacket|cap|"
        "backpack|bike|headphones|jeans|soda can|tent|stroller|coffee cup|sunglasses",
        "hoodie|skateboard|blender|drill|kettle|tablet|trainers|suitcase|camera bag|water bottle",
    ),
    "device": _p(
        "router|printer|TV|fridge|laptop|camera|phone|washing machine|monitor|modem|charger|"
        "dishwasher|microwave|projector",
        "air conditioner|boiler|drone|server|power bank|dryer|game console|oven",
    ),
    "vehicle": _p(
        "car|truck|motorcycle|van|taxi|bus|red car|white van|black SUV",
        "scooter|camper|pickup|delivery truck|silver sedan|police car",
    ),
    "product": _p(
        "phone screen|car door|laptop lid|ceramic mug|windshield|wooden table|circuit board|tile floor|"
        "sneakers|leather bag|bike frame|fabric|weld|pipe|tire|glass|bumper|paint job|countertop|"
        "solder joints|casting|packaging|pcb|bearing",
        "pipe fitting|glass bottle|solar panel|drone propeller|guitar neck|kitchen counter|"
        "car hood|turbine blade|porcelain plate|watch face|cable insulation",
    ),
    "defect": _p(
        "scratches|dents|cracks|chips|stains|scuffs|rust|corrosion|tears|holes|bubbles|burn marks",
        "hairline fractures|pitting|warping|discoloration|fraying|blemishes|dings",
    ),
    "chart": _p(
        "chart|bar chart|graph|line graph|plot|pie chart|histogram|scatter plot|diagram",
        "bar graph|line chart|area chart|stacked bar chart|dashboard chart",
    ),
    "series": _p(
        "revenue|sales|profit|temperature|population|Q3|March|Germany|product A|the blue line|"
        "the red bar|users|costs|exports",
        "signups|rainfall|churn|week 12|the green bars|segment B|Brazil|inflation",
    ),
    "year": _p("2019|2020|2021|2015|2018|2022|2023|1990|2010", "2016|2012|2024|2005|1998"),
    "doc": _p(
        "document|page|receipt|invoice|letter|form|menu|contract|screenshot|scanned page|"
        "handwritten note|whiteboard|slide|PDF page|bank statement|business card|recipe card|"
        "textbook page|poster|flyer|article|newspaper clipping|email|spreadsheet|table|notes|"
        "worksheet|report|memo|certificate|label|ticket|passport page",
        "boarding pass|prescription|lecture notes|sticky note|diploma|pay stub|tax form|"
        "shipping label|parking ticket|chalkboard|lease agreement|brochure|magazine page|"
        "manuscript|postcard|timetable|meeting minutes|warranty card",
    ),
    "textobj": _p(
        "sign|note|banner|poster|billboard|sticky note|screen|message|card|plaque|placard|"
        "graffiti|chalkboard|whiteboard|error message|street sign|warning sign|label|sign on the door|"
        "handwriting|caption|headline|t-shirt|notice|letter|text|writing|page|inscription",
        "mural text|neon sign|tombstone|marquee|post-it|dialog box|shop window|menu board|"
        "protest sign|doormat|road sign|wall text",
    ),
    "tabular": _p(
        "receipt|table|invoice|form|bank statement|spreadsheet|menu|price list|timetable|schedule|"
        "order confirmation|packing list",
        "pay stub|utility bill|grade sheet|inventory sheet|expense report",
    ),
    "fmt": _p(
        "JSON|CSV|a markdown table|Excel|a spreadsheet|YAML|plain text|a table|json|csv|markdown",
        "TSV|XML|a Google Sheet|structured data|key-value pairs",
    ),
    "lang": _p(
        "English|Spanish|French|German|Italian|Japanese|Chinese|Portuguese|Korean",
        "Dutch|Polish|Turkish|Hindi|Swedish|Arabic",
    ),
    "obj": _p(
        "thing|object|shape|item|animal|sign|building|car|logo|figure|writing|light|box|plant|bird",
        "blob|gadget|structure|statue|vehicle|creature|ornament|machine",
    ),
}

# --------------------------------------------------------------------------------------------
# Templates. {slot} picks a filler; [a|b|] picks one alternative (empty allowed).
# --------------------------------------------------------------------------------------------
TRAIN_TEMPLATES: dict[str, tuple[str, ...]] = {
    "full_low": (
        "[what|which] [colour|color] is the {big}?",
        "[what's|what is|whats] the [colour|color] of the {big}?",
        "is the {big} {colour}?",
        "is the {big} {colour} or {colour}?",
        "[describe|please describe|can you describe|briefly describe] [this|the] {img}",
        "[what's|what is|whats] [in|going on in|happening in] this {img}?",
        "what is this {img} [of|about|showing]?",
        "[give me|write|suggest|come up with|make] a [short |catchy |fun |funny |]caption for this {img}",
        "caption this {img}[ for instagram| for my blog|]",
        "[was this|is this] [taken |]indoors or outdoors?",
        "is it day or night in this {img}?",
        "[what's|what is] the [mood|vibe|atmosphere|feel] of this {img}?",
        "does this {img} [feel|look] {mood}?",
        "is there [a|an] {animal} in [this|the] {img}?",
        "are there any {animal}s in this {img}?",
        "what kind of {category} is this?",
        "what type of {category} is [this|shown here|in the picture]?",
        "where [was this taken|do you think this is|is this]?",
        "what [season|time of day] is it in this {img}?",
        "what's the weather like [in this {img}|here]?",
        "what is the main [subject|focus|thing] [of|in] this {img}?",
        "give me a [one-sentence|quick|brief|short] [summary|description|overview] of this {img}",
        "[summarize|summarise|sum up] this {img} [in one sentence|for me|]",
        "what [style|kind of decor] is this {room}?",
        "what's the dominant [colour|color] in this {img}?",
        "what [sport|game] are they playing?",
        "what [animal|food|dish|plant|flower] is this?",
        "[tell me about|talk about] this {img}",
        "what do you see [here|in this {img}]?",
        "what am i looking at[ here|]?",
        "which of these {imgs} [is brighter|looks happier|has more greenery|was taken at night|looks warmer]?",
        "are these {imgs} [of the same place|from the same day|similar]?",
        "compare [these|the two|both] {imgs} [in general|overall|]",
        "how does this {room} look?",
        "what are the people [doing|wearing] in this {img}?",
        "[generate|suggest|give me|write] [tags|hashtags|keywords|alt text] for this {img}",
        "write alt text for [this|the] {img}",
        "is this {img} [blurry|overexposed|well composed|too dark|in focus]?",
        "is this a photo of a {scene}?",
        "is this a {scene} or a {scene}?",
        "what [landmark|city|country] is this?",
        "what emotion does the [person|woman|man|child|dog] [show|seem to feel]?",
        "is it [sunny|raining|snowing|cloudy] in the {img}?",
        "what kind of document is this?",
        "is this a [receipt or an invoice|letter or a form|screenshot or a photo]?",
        "does the {big} look [new|old|clean|expensive|cheap|dirty]?",
        "what's the overall [colour scheme|palette|color palette]?",
        "would this make a good [wallpaper|profile picture|postcard]?",
        "are there [any |]people in this {img}?",
        "is anyone in this {img}?",
        "is this real or [AI generated|photoshopped|a painting]?",
        "what's the [setting|location|scene] here?",
        "what is happening[ here| in this {img}|]?",
        "what [colour|color] are the {big}s?",
        "rate this {img}[ out of 10|]",
        "what breed is this {animal}?",
        "what is the [person|woman|man|girl|boy] doing?",
        "is this {img} appropriate for [kids|work|a presentation]?",
        "does this outfit [match|look good]?",
        "is the {big} [inside or outside|near the water]?",
        "what [era|decade] does this {img} look like it's from?",
        "how would you describe the lighting in this {img}?",
        "{big} colour?",
        "vibe?",
        "caption?",
        "what is it",
        "what's this",
        "is this a {category}",
        "do you see [a|any] {animal}[ here| in the {img}|]?",
        "can you see [any people|a {animal}|water|mountains|a car] in [this|the] {img}?",
        "is that a {animal}[ or a {animal}|]?",
        "is that a {category} or a {category}?",
        "what is this [image|picture|photo] of?",
        "[summarize|summarise|sum up|recap] [this|the] {img} [in one line|briefly|in a sentence|in a few words]",
        "[give me|write] a [one-line|short|quick] summary of [what's in |]this {img}",
        "how would you describe this {img}?",
        "what's the first thing you notice [in this {img}|here]?",
        "what's this [place|thing|object|animal|building]?",
        "which one is the [cat|dog|sunset|beach photo|city]?",
        "what do these {imgs} have in common?",
        "what [colour|color] [is|are] [his|her|their] [shirt|hair|car|dress|jacket|shoes|eyes]?",
        "is the [man|woman|kid|baby|dog] [happy|sad|angry|tired|asleep]?",
        "what [is|are] [he|she|they] [doing|wearing|holding|eating|looking at]?",
        "is this photo the right way up?",
        "does this look right to you?",
        "what [genre|type] of [photo|painting|artwork|picture] is this?",
        "is this [image|picture] [funny|sad|scary|cute]?",
        "what's the [theme|topic] of this {img}?",
        "[identify|name] the [animal|landmark|plant|object|dish] in this {img}",
        "is this a [real|fake|staged] photo?",
        "does this {img} show a {scene}?",
        "[give me|tell me] [your|a] [general|overall|quick] [impression|take|read] of this {img}",
        "what kind of [event|place|room|vehicle|animal] is this?",
        "what's the [big|main|overall] picture here?",
        "[are|is] [there|the] [trees|clouds|mountains|buildings|people] in [this|the] {img}?",
        "which {img} [do you like more|is better|should i post]?",
        "in general, what does this [chart|graph] show?",
        "is the [trend|line] going up or down?",
        "what kind of [chart|graph|diagram|document|form|screenshot] is this?",
        "what's [that |]{place}?",
        "is there [anything|food|a {animal}|something] {place}?",
        "what [kind of food|dish|fruit] is {place}?",
        "is the food {place} [pasta|pizza|salad|cake|rice|soup]?",
        "are there [any |]{things} {place}?",
        "is there a {textobj} in this {img}?",
        "is this [a|an] {doc}?",
        "is this [a|an] {doc} or [a|an] {doc}?",
        "what kind of {gauge} is this?",
        "is this a {gauge} or a {clock}?",
        "what [colour|color] is the {item}?",
        "is the {item} [new|old|big|{colour}]?",
        "what is this {product} [for|used for]?",
        "is the {device} [modern|old-fashioned|{colour}]?",
        "what is the {vehicle} doing?",
        "is there a {vehicle} in the {img}?",
        "does the {doc} look [old|official|handwritten|crumpled]?",
        "what [colour|color] is the {chart}?",
    ),
    "preserve": (
        "how many {things} are [there|{place}|visible|in the {img}]?",
        "[count|please count|can you count] [the|all the|all of the|how many] {things}[ {place}|]",
        "[what's|what is] the [exact |total |]number of {things}[ {place}|]?",
        "exactly how many {things} [are there|do you see|can you count|{place}]?",
        "number of {things} {place}?",
        "how many {things}?",
        "what time does the {clock} [show|say|read]?",
        "what time is it on the {clock}?",
        "[what's|what is] the time on the {clock}?",
        "[what's|what is] the [reading|number|value] on the {gauge}?",
        "what does the {gauge} [read|say|show|display]?",
        "what [value|number] is the {gauge} [showing|pointing to|at]?",
        "[read|can you read] the {gauge} [for me|]",
        "what [number|value] is the needle [on|pointing at]?",
        "what's the exact {quantity} [shown|displayed] on the {gauge}?",
        "what [brand|make] is [the|this|that] {item}?",
        "[what's|what is] the brand [of|on] the {item}?",
        "which brand made [this|the] {item}?",
        "what's the logo on the {item}?",
        "[what's|what is] the model number [on|of] [the|this] {device}?",
        "what's the serial number on the [back of the |sticker on the |label on the |]{device}?",
        "[what's|what is|read me] the [license|licence|number] plate [of|on] the {vehicle}",
        "what's the plate number of the {vehicle}?",
        "how much is the {item} [on the price tag|according to the tag]?",
        "what['s| is] the price on the [tag|price tag|shelf label|sticker]?",
        "what's the jersey number of the [player|runner|guy] [with the ball|in front|]?",
        "[what's|what is] the expiration date on the [milk carton|yogurt|pill bottle|can|package]?",
        "are there any {defect} on the {product}?",
        "is there [any |]damage [on|to] the {product}?",
        "[inspect|check|examine] the {product} for [defects|flaws|damage|{defect}]",
        "any {defect} [on|in] [this|the] {product}?",
        "is the {product} [cracked|bent|scratched|damaged|dented]?",
        "does the [weld|solder joint|seam|stitching] look [good|okay|faulty|even]?",
        "find [any|all] [defects|flaws|{defect}] [on|in] the {product}",
        "what's the [exact |]value [of|for] {series} in {year}[ on the {chart}|]?",
        "what's the y-value at x = {year}?",
        "what is the [highest|lowest|peak] value [on|in] the {chart} exactly?",
        "how much did {series} [increase|drop|change] between {year} and {year} [on|according to] the {chart}?",
        "what percentage is the {series} slice [in the pie chart|]?",
        "read off the [value|number] for {series} from the {chart}",
        "[extract|pull] the data points from this {chart}",
        "what [exact |]number does the {series} bar reach?",
        "at what value does the line [peak|cross zero|bottom out]?",
        "what's the tiny [object|thing] in [her|his|the child's|the dog's] [hand|mouth|paw]?",
        "what species is the [tiny|small] [insect|bug|spider|beetle] on the [leaf|flower|wall]?",
        "which keys are missing from the keyboard?",
        "what's the position of the pieces on the chessboard?",
        "what cards is [he|she|the player] holding?",
        "is the [cable|wire|plug] [plugged into|in] [port 2|the right socket|the correct port]?",
        "are all the [screws|bolts|pins|rivets] [in place|present|tightened]?",
        "what's the [hex code|exact shade|exact colour value] of the [logo|button|background]?",
        "[zoom in|look closely|look carefully] and [tell me|check] [if|whether] there's a {defect} on the {product}",
        "look closely: [how many|are there any|is there a] [{things}|{defect}|crack] [{place}|on the {product}|]?",
        "what's the [tire|shoe|ring|clothing] size [printed on|on|written on the tag of] the [tire|shoe|ring|shirt]?",
        "what's the [part|lot|batch] number on the [component|box|label of the part]?",
        "how many [people|faces|players|dots] can you count?",
        "what does the [kitchen |]scale say?",
        "what's the speed on the speedometer?",
        "how [full|empty] is the [fuel|gas|water] gauge exactly?",
        "[what's|what is] the [house|bus|room|flight|platform] number [on the door|on the bus|on the sign|]?",
        "what [model|make and model] is [this|the] {device}[ exactly|]?",
        "is there a [watermark|signature|barcode|qr code] [on|in] the {img}?",
        "[count|tally] [the |]{things}[ please| for me|]",
        "serial number?",
        "time on the clock?",
        "brand of the {item}?",
        "{gauge} reading?",
        "how many?",
        "any {defect}?",
        "how many {things} [are there|can you see] in [these|both|all the] {imgs}?",
        "which {img} has [more|the most|fewer] {things}?",
        "what's the [date|year] on the [coin|stamp|banknote|medal]?",
        "read the [serial number|model number|license plate|plate number|price|part number|meter|gauge|dial] [for me|please|]",
        "what's the [number|code] on the [{device}|{item}|jersey|door|bus|tag]?",
        "can you make out the [brand|serial number|plate|price|model number|jersey number]?",
        "is the [stitching|seam|print|label] [aligned|even|straight|crooked]?",
        "how much [fuel|gas|battery|ink|oil] is left according to the [gauge|indicator|meter|display]?",
        "how many [cookies|slices|eggs|pills|candies|bottles] are left[ {place}|]?",
        "what's the [exact |precise |]time [shown|displayed] on the {clock}?",
        "which [brand|company|manufacturer] [made|makes] [these|this|the] {item}?",
        "[is|are] there [any |]{defect} [anywhere |]on [it|this|the {product}]?",
        "how many [people|players|runners|kids|cars] [are|were] in [the race|the photo|the team picture|the queue|the lot]?",
        "[what's|what is] [written|printed] on the [price tag|tag|license plate|jersey] ?",
        "what does the [timer|stopwatch|display on the {device}|digital clock] show?",
        "what [temperature|number|setting] is the [oven|thermostat|dial|knob|AC] set to?",
        "look closely at the {product}: any {defect}?",
        "[zoom in|look closely|look carefully] [on|at] the {item} and tell me the brand",
        "what size [is|are] the [shoes|shirt|tire|screw|battery] according to the label?",
        "is the [ring|necklace|watch] [real gold|stamped|engraved]? look at the marks",
    ),
    "crop": (
        "[what's|what is|whats] in the {region}[ of the {img}| of this {img}|]?",
        "what is [that|this] in the {region}?",
        "[describe|please describe] [what's in |]the {region}[ of the {img}|]",
        "[zoom in on|zoom into|focus on|look at|crop to] the {region}[ and tell me what's there| and describe it|]",
        "what's the {obj} in the {region}?",
        "who is the {person} on the {side}?",
        "what is the {person} on the {side} [holding|wearing|doing|eating|carrying]?",
        "is the {person} on the {side} [smiling|wearing glasses|looking at the camera|happy]?",
        "what [colour|color] is the {big} [on the {side}|in the {region}]?",
        "[read|transcribe|can you read] the text in the {region}",
        "what does the [sign|label|text|writing|note] in the {region} say?",
        "what's written in the {region}[ of the {img}|]?",
        "how many {things} are in the {region}?",
        "count the {things} in the {region}",
        "what's [happening|going on] in the background?",
        "what's that [thing|object|shape] in the {region}?",
        "is there anything in the {region}?",
        "what [animal|bird|car|plant] is in the {region}?",
        "tell me what's [going on|happening] in the {region}",
        "only look at the {region}: what is [there|it]?",
        "in the {region}, [what do you see|is there a {animal}|what colour is the {big}]?",
        "in [both|all the|these] {imgs}, what's in the {region}?",
        "what's [behind|next to] the {person} on the {side}?",
        "who's [standing|sitting] on the {side}?",
        "what's the {person} in the [background|foreground] doing?",
        "what is the [second|third] {person} from the [left|right] [wearing|holding|doing]?",
        "what's on the {side} side of the {img}?",
        "what's at the [top|bottom] of the {img}?",
        "what's in the [middle|center|centre] of the {img}?",
        "describe the [left|right|top|bottom] [half|third|part] of the {img}",
        "the {region}: what is that?",
        "what brand is the {item} in the {region}?",
        "is the {big} in the {region} {colour}?",
        "what's in the distance?",
        "what's that [far away|in the distance] [on the horizon|]?",
        "[what's|what is] the [leftmost|rightmost] {obj}?",
        "what does the [header|footer|sidebar] [say|show] in this screenshot?",
        "what's in the [sidebar|header|footer|taskbar]?",
        "what's the [price|serial number|time] shown in the {region}?",
        "[check|look at] the {region} [for|and find] [a|the] {obj}",
        "{region}?",
        "{region} - what is it?",
        "what's [up |down |over |]there in the {region}?",
        "in the picture on the {side}, what's the {person} doing?",
        "what's the {obj} on the far [left|right]?",
        "identify the {person} [at|on] the {side}",
        "what [colour|color] shirt is the {person} on the {side} wearing?",
        "[who|what] is [sitting|standing|lying|parked] [on|at] the {side}?",
        "what's [happening|going on] [on|at] the [left|right|top|bottom]?",
        "[left|right] side: what's that?",
        "what is the [second|third|last] {obj} from the [left|right]?",
        "[check|look at|examine] the {region} [please|for me|]",
        "is there [a|any] {obj} in the {region}?",
        "what's [up|down] [in|at] the [top|bottom] [left|right]?",
        "what [brand|model] is the {vehicle} on the {side}?",
        "how many {things} are on the {side}?",
        "what's the [text|writing|label] [in|on] the {region}?",
        "transcribe [what's|the text] [in|at] the {region}",
        "in [both|these|all] {imgs}, who is on the {side}?",
        "what's [behind|in front of] [them|the {person}|the house] in the background?",
        "what does the [sign|poster|banner] in the background say?",
        "[tell me about|describe] the {person} on the {side}",
        "the {obj} [at|in] the {region} - what is it?",
        "[can|could] you describe the {region}[ of this {img}| of the {img}| for me|]?",
        "[can|could] you tell me what's [in|at] the {region}[ of this {img}|]?",
        "what [can you see|do you see|is visible] in the {region}[ of the {img}|]?",
        "give me a [short |quick |]description of the {region}",
        "[can you |could you |please |]describe the [background|foreground][ of this {img}| of the {img}| for me|]",
        "what's [in|going on in|happening in] the [background|foreground][ of this {img}|]?",
        "[tell me about|what can you see in] the [background|foreground][ of the {img}|]",
        "what is [that|the {obj}] in the [background|foreground]?",
        "who is in the [background|foreground]?",
        "what [colour|color] is the {big} in the [background|foreground]?",
    ),
    "transcode": (
        "[read|can you read|please read|read out] [the|this] {doc}[ for me|]",
        "read [out |me |]the text [in|on|from] [this|the] [{doc}|{img}]",
        "[transcribe|please transcribe|can you transcribe] [this|the] {doc}",
        "[ocr|OCR|run ocr on|do OCR on] [this|the] {doc}",
        "extract [all |all of |]the text [from|in] [this|the] [{doc}|{img}]",
        "what does [the|this|that] {textobj} say?",
        "what's written on the {textobj}?",
        "what [words are|text is] on the {textobj}?",
        "what is written [on|in] [this|the] {doc}?",
        "translate [the|this] [{doc}|{textobj}|text] [into|to] {lang}",
        "what does this {doc} say in {lang}?",
        "[summarize|summarise|give me a summary of|tl;dr|sum up] [this|the] {doc}",
        "what are the [main points|key points|key terms|deadlines|action items] in this {doc}?",
        "convert [this|the] {tabular} [to|into] {fmt}",
        "turn [this|the] {tabular} into {fmt}",
        "[give me|output|return] [the|this] {tabular} as {fmt}",
        "list [all |]the [items|line items|items and prices|products] on this {tabular}",
        "what's the total [on|of] [this|the] [receipt|invoice|bill]?",
        "who is [this|the] [letter|invoice|email|memo] [addressed to|from|signed by]?",
        "[copy|copy out|copy-paste] the text from this {doc}",
        "type out [what it says|the text|the handwriting|this {doc}|everything written here]",
        "what's the [error message|headline|title of the article|subject line] in this {doc}?",
        "[fill out|parse|extract] the fields [of|from|in] this form [as JSON|into json|]",
        "pull [out |]the [names and dates|phone numbers|email addresses|amounts|addresses] from this {doc}",
        "what does the [handwriting|handwritten note|note|text] say?",
        "proofread the text in this {img}",
        "[get|grab] me the text from this [{img}|{doc}]",
        "give me the [exact |]wording of the {textobj}",
        "[can you |]read [what's|what is] written [on|in] the {textobj}",
        "what does it say?",
        "read it to me",
        "[transcribe|read|translate] [both|all three|each of these|these] {doc}s",
        "read the text on [both|all the|these] {imgs}",
        "what does this {doc} say?",
        "what is the [due date|invoice number|account number|date|amount due] on this [invoice|bill|statement|form]?",
        "what's the [recipe|phone number|address|email|website] on the {doc}?",
        "[what's|what is] the [text|message|quote|slogan|caption] [on|in] the {textobj}?",
        "what [does|did] [he|she|they|the teacher] write on the [whiteboard|board|note|card]?",
        "can you make out what the {textobj} says?",
        "what language is the [text|{textobj}] in and what does it say?",
        "[explain|what does] [this|the] [error|message|code] [in the screenshot|on screen] [mean|say]",
        "[ocr|transcribe|read|extract text]",
        "what's the [first|last] [line|sentence|paragraph] of the {doc}?",
        "what are the [ingredients|instructions|steps] [listed|written] on the {doc}?",
        "read every word on this {doc}",
        "[give me|write out] the text verbatim",
        "word for word, what does the {textobj} say?",
        "digitize this {doc}",
        "convert this [screenshot|scan|photo of a page|{doc}] to text",
        "what's the [menu|price list|schedule] say?",
        "text?",
        "what does the {doc} say about [the deadline|payment|returns|the meeting]?",
        "what's the [date|title|name|headline|author|heading] [on|of] the [document|letter|newspaper|book cover|page|article|form]?",
        "which of these {doc}s [is more expensive|has the later date|is from the bank|mentions the refund]?",
        "do these [two |]{doc}s say the same thing?",
        "what [does|do] the [instructions|rules|directions|terms] say?",
        "what's the [name|phone number|email|address|job title] on the business card?",
        "[what's|what is] this {doc} about?",
        "[read|transcribe|extract] [the text from |][both|all three|each of the] [screenshots|pages|receipts|slides]",
        "is the text in this {img} in [English|French|Spanish|German]?",
        "what's the [wifi password|code|password|reference number] [written|written down|on the note] [here|on the card|]?",
        "what [do|does] the [label|labels|text|words] on the [box|jar|bottle|package] say?",
        "[tell me|let me know] what [this|the] {textobj} says",
        "can you read [what|what's] [it|this|the {textobj}] says?",
        "[please |]write out [the|this] {doc} [as text|in full|word for word|]",
        "[read|summarize|translate] this [for me|please|]",
        "[how much|what] do i owe according to this [bill|invoice|statement]?",
        "when is the [appointment|meeting|deadline|flight|event] according to this {doc}?",
        "[list|give me] [the|all] [dishes|items|prices|names|dates|amounts] on [this|the] {tabular}",
        "make a [table|spreadsheet|csv|list] from this {tabular}",
    ),
}

HELDOUT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "full_low": (
        "can you tell what's going on in this {img}",
        "what would you title this {img}?",
        "sum up this {img} in [a few words|one line]",
        "any idea what this {img} is of?",
        "does the {big} appear to be {colour}?",
        "what hue is the {big}",
        "what vibe does this {img} give off?",
        "describe the scene for [a blind user|someone who can't see it]",
        "would you say the {big} is {colour} or {colour}?",
        "which {img} looks more {mood}, the first or the second?",
        "is a {animal} visible anywhere?",
        "is this somewhere [hot or cold|in Europe|in a city]?",
        "general impression of this {img}?",
        "what sort of place is this {scene}-looking spot?",
        "overall, is this {img} {mood}?",
        "what's the subject of the {img}?",
        "in a word, what's this?",
        "what shade is the {big}?",
    ),
    "preserve": (
        "tally up the {things} {place}",
        "{things} - how many?",
        "give me a count of the {things}",
        "how many {things} can you spot {place}?",
        "where is the needle on the {gauge}?",
        "tell me the number the {gauge} displays",
        "what's the {gauge} at right now?",
        "which company made the {item}?",
        "whose logo is on the {item}?",
        "what's the VIN [on the dashboard|of the {vehicle}]?",
        "quality-check the {product} for {defect}",
        "spot any imperfections on the {product}",
        "{series} in {year}: precise figure from the {chart}?",
        "give me the data point for {year} on the {chart}",
        "what's the registration on the {vehicle}?",
        "the clock on the wall, what time does it show?",
        "how much does the tag say the {item} costs?",
        "do you see any {defect} anywhere on the {product}?",
    ),
    "crop": (
        "{region} - what's there?",
        "what can you see toward the {region}?",
        "identify the {obj} sitting in the {region}",
        "what's going on over in the {region}?",
        "check the {region}: is there a {animal}?",
        "what's the {person} standing at the {side} doing?",
        "describe only the {region} of this {img}",
        "anything interesting in the {region}?",
        "the {person} on the {side} - who is it?",
        "spell out the words in the {region}",
        "what's printed in the {region}?",
        "{things} in the {region}: how many?",
        "what object lies in the {region}?",
    ),
    "transcode": (
        "make this {doc} searchable text",
        "what text appears in this {img}?",
        "spell out what the {textobj} says",
        "I need the {doc} contents as {fmt}",
        "render this {tabular} as {fmt}",
        "give me a plain-text version of this {doc}",
        "put the {doc} into {lang}",
        "recap the {doc} for me",
        "dump the text from the {doc}",
        "can you make out the words on the {textobj}?",
        "what's the message on the {textobj}?",
        "I can't read the {textobj}, what does it say?",
        "type up the {doc}",
        "what's the gist of this {doc}?",
        "list everything the {doc} says",
    ),
}

# --------------------------------------------------------------------------------------------
# Style pools.
# --------------------------------------------------------------------------------------------
CONTEXT = _p(
    "I took this photo yesterday.|This is from our trip to Spain.|My friend sent me this.|"
    "Quick question.|Hi!|Hey there,|So I found this in my attic.|Attached is an image.|"
    "I'm working on a school project.|Long story short, my landlord sent me this.|"
    "Here's a picture from the weekend.|My mom forwarded this to me.|I snapped this on my walk.|"
    "This was taken with my phone.|Sorry for the bad quality.|Hope you can help.|"
    "I've been staring at this for ages.|This came up at work today.|Found this online.|"
    "We're doing a little experiment.|Ok so.|I need some help with an image.|"
    "You are a helpful assistant.|You are a helpful vision assistant. Answer briefly.|"
    "Here is a photo from my trip.|Hello!|Good evening.|My dad took this in 1998.|"
    "I'm visually impaired and use a screen reader.|Just got back from the store.|"
    "This is for a blog post I'm writing.|It's a bit blurry, sorry.|See the attached image.|"
    "omg look at this!!|lol ok so|Ugh, long day.|I have two pictures here.|Here are three photos.|"
    "I'm trying to sort out my photo library.|We're cataloguing stuff for insurance.|"
    "I'm building a dataset for work.|My teacher gave us this homework.|"
    "This is a screenshot from my phone.|I scanned this at the office.|"
    "I've been trying to figure this out all morning and I'm really stuck.|"
    "My kid asked me this and I had no idea.|So yesterday I was cleaning out the garage and found this.",
    "Found this on my phone from last summer.|Context: this is for a report.|Good morning!|"
    "My boss wants this by tonight.|My neighbour posted this in the group chat.|"
    "I'm new to this app.|Another one for you.|Took this at a friend's place.|Greetings.|"
    "This is from a museum visit.|My grandpa gave me this.|You are an expert image analyst.|"
    "Here's a pic my cousin took.|Bear with me.|Right, next one.|I uploaded a couple of images.|"
    "This one is from the archive.|We had a debate at dinner about this.",
)
CHATTER = _p(
    "thanks!|thx|ty in advance|appreciate it :)|no rush|lol|it's for a school project|thank you!|"
    "cheers|thanks a lot|much appreciated|please answer briefly.|keep it short.|answer in one word.|"
    "thanks in advance!|:)|haha|just curious|asking for a friend|Can you help?|any ideas?|"
    "Is that possible?|help please!|I'd really appreciate it.|Be precise please.|No explanation needed.|"
    "My eyes aren't great.|It's kind of urgent.|I'm in a hurry.|Reply in English.",
    "many thanks|ta|be brief please.|reply in one sentence.|gracias!|you're the best|"
    "thanks so much!!|respond concisely.|could you help?|I owe you one.",
)
POLITE_PREFIX = _p(
    "please |pls |could you tell me: |can you help? |i have a question - |quick q: |hey, |"
    "help me out: |i wanna know, |one question: |so |ok |do you know |can you tell me |"
    "i'd like to know |i wonder |any idea |sorry to bother you, but |hi! |hello, |um ",
    "kindly |would you mind telling me - |i was wondering, |a question: |hmm, |"
    "would love to know |just wondering ",
)
IMPERATIVE_POLITE = _p(
    "please |could you |can you |would you |could you please |can u |pls |kindly |"
    "i was wondering if you could |would you be able to |is it possible to |i need you to |"
    "any chance you could |i'd like you to |help me |go ahead and |would you kindly ",
    "do me a favour and |if you can, |i'd love it if you could |mind if you |be a dear and ",
)
MULTI_PREFIX = _p(
    "in these two images, |across both photos, |for each picture, |looking at all three pictures, |"
    "in the second image, |in image 2, |in the first photo, |for both screenshots: |",
    "in each of the attached images, |in photo #2, |comparing the two images, |",
)

SLANG = (
    (r"\bwhat's\b", ("whats", "wats", "what is", "what's")),
    (r"\bwhat is\b", ("whats", "what's")),
    (r"\byou\b", ("u",)),
    (r"\bplease\b", ("pls", "plz", "please")),
    (r"\bpicture\b", ("pic",)),
    (r"\bcolour\b", ("color",)),
    (r"\bcolor\b", ("colour",)),
    (r"\bthe\b", ("teh", "the", "the", "the")),
    (r"\bare\b", ("r",)),
    (r"\bthere\b", ("their",)),
    (r"\bhow many\b", ("how much", "hw many", "how many")),
    (r"\bthis\b", ("dis", "this", "this")),
)
_KEYBOARD = {
    "a": "qsz", "b": "vnh", "c": "xvd", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy",
    "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol",
    "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij", "v": "cbf", "w": "qes", "x": "zcs",
    "y": "tuh", "z": "xa",
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "drop", "double", "near"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = _KEYBOARD.get(word[i].lower())
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word


_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")


def expand(template: str, rng: random.Random, split: str) -> str:
    """Fill alternatives and slots (a filler may itself hold alternatives or slots)."""
    text = template
    for _ in range(4):
        text = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        text = _SLOT.sub(lambda m: _fill(m.group(1), rng, split), text)
        if "[" not in text and "{" not in text:
            break
    return re.sub(r"\s+", " ", text).strip()


def _fill(slot: str, rng: random.Random, split: str) -> str:
    pool = SLOTS[slot]
    return rng.choice(pool.train if split == "train" else pool.heldout)


def stylise(text: str, label: str, rng: random.Random, split: str) -> str:
    """Apply the style transforms: context, politeness, multi-image, chatter, casing, typos."""
    pick = lambda pool: rng.choice(pool.train if split == "train" else pool.heldout)  # noqa: E731
    if rng.random() < 0.10:
        text = pick(MULTI_PREFIX) + " " + text[0].lower() + text[1:]
    if rng.random() < 0.22:
        imperative = text.split()[0].lower().strip(",:") in _IMPERATIVE_VERBS
        text = pick(IMPERATIVE_POLITE if imperative else POLITE_PREFIX) + " " + text[0].lower() + text[1:]
    if not text.rstrip().endswith(("?", ".", "!")) and rng.random() < 0.5:
        text += "?" if text.split()[0].lower() in ("what", "what's", "how", "is", "are", "who", "where", "which", "does", "do", "any") else "."
    if rng.random() < 0.28:
        n = 1 if rng.random() < 0.7 else 2
        text = " ".join(pick(CONTEXT) for _ in range(n)) + " " + text
    if rng.random() < 0.15:
        text = text + " " + pick(CHATTER)
    text = text[0].upper() + text[1:] if rng.random() < 0.5 else text
    if rng.random() < 0.25:
        for pattern, choices in SLANG:
            if rng.random() < 0.35:
                text = re.sub(pattern, lambda m, c=choices: rng.choice(c), text, count=1, flags=re.IGNORECASE)
    r = rng.random()
    if r < 0.35:
        text = text.lower()
    elif r < 0.37:
        text = text.upper()
    if rng.random() < 0.25:
        text = text.rstrip("?.! ")
    elif rng.random() < 0.05:
        text = text.rstrip("?.! ") + rng.choice(("??", "???", "?!", " ?"))
    if rng.random() < 0.25:
        words = text.split(" ")
        for _ in range(rng.choice((1, 1, 2))):
            j = rng.randrange(len(words))
            words[j] = _typo(words[j], rng)
        text = " ".join(words)
    return text


def generate(split: str, per_label: int, rng: random.Random) -> list[Example]:
    templates = TRAIN_TEMPLATES if split == "train" else HELDOUT_TEMPLATES
    out: list[Example] = []
    for label in LABELS:
        seen: set[str] = set()
        tries = 0
        while len(seen) < per_label and tries < per_label * 20:
            tries += 1
            index = rng.randrange(len(templates[label]))
            raw = stylise(expand(templates[label][index], rng, split), label, rng, split)
            text = extract_ask(raw)
            if text and text.lower() not in seen:
                seen.add(text.lower())
                out.append(Example(text, label, f"gen:{label}:{index}"))
    return out


def read_examples(path: Path = EXAMPLES_FILE) -> dict[str, list[tuple[str, str]]]:
    """The hand-written file as {split: [(label, raw text), ...]}."""
    out: dict[str, list[tuple[str, str]]] = {}
    split = "train"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if line.startswith("## split:"):
            split = line.split(":", 1)[1].strip()
            continue
        if not line or line.startswith("#"):
            continue
        label, _, text = line.partition("|")
        label, text = label.strip(), text.strip()
        if label not in LABELS or not text:
            raise ValueError(f"{path}:{number}: expected 'label | text', got {line!r}")
        out.setdefault(split, []).append((label, text))
    return out


def hand_written(split: str) -> list[Example]:
    return [Example(extract_ask(text), label, "hand") for label, text in read_examples().get(split, [])]


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    heldout: list[Example]
    seed: int

    def train_hash(self) -> str:
        """sha256 of the canonical training set: sorted "label\\ttext" lines, UTF-8."""
        lines = sorted(f"{e.label}\t{e.text}" for e in self.train)
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def build(seed: int = DEFAULT_SEED, train_per_label: int = TRAIN_PER_LABEL,
          heldout_per_label: int = HELDOUT_PER_LABEL, hand_repeat: int = 3) -> Dataset:
    """The full, deterministic dataset for one seed."""
    rng = random.Random(seed)
    train = generate("train", train_per_label, rng)
    hand_train = hand_written("train")
    train += hand_train * hand_repeat  # hand-written phrasing is rarer, so it counts more
    heldout = generate("heldout", heldout_per_label, random.Random(seed + 1)) + hand_written("heldout")
    train_texts = {e.text.lower() for e in train}
    heldout = [e for e in heldout if e.text.lower() not in train_texts]
    random.Random(seed + 2).shuffle(train)
    return Dataset(train, heldout, seed)


def write_jsonl(path: Path, rows: list[Example]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="folder for train.jsonl and heldout.jsonl")
    parser.add_argument("--show", type=int, default=0, help="print N random examples per split")
    args = parser.parse_args()
    data = build(args.seed)
    from collections import Counter

    print(f"train {len(data.train)} {dict(Counter(e.label for e in data.train))}")
    print(f"heldout {len(data.heldout)} {dict(Counter(e.label for e in data.heldout))}")
    print(f"train sha256 {data.train_hash()}")
    if args.show:
        rng = random.Random(0)
        for name, rows in (("train", data.train), ("heldout", data.heldout)):
            for e in rng.sample(rows, min(args.show, len(rows))):
                print(f"[{name}] {e.label:9s} {e.text}")
    if args.out:
        write_jsonl(args.out / "train.jsonl", data.train)
        write_jsonl(args.out / "heldout.jsonl", data.heldout)


if __name__ == "__main__":
    main()
