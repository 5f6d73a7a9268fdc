"""Write sentiment.csv: short English review sentences for the course (CC0, written for this course).

Run from the repository root: ``python course_lib/data/make_sentiment.py``. Each thing reviewed (a dish, a
product, a service, a film or book, a part of a trip) has its own adjectives and facts that fit it ("The steak
was tender", "The printer jams every few pages"), and each domain has its own side remarks and verdicts, so
that every sentence reads like a short review a person could write. Plain, negated ("I was worried the flight
would be delayed, but it was not." is positive) and mixed sentences whose overall verdict is clear ("The
waiter was friendly, but the curry was bland. We will not be back." is negative) are drawn with a fixed seed
and joined with a list of hand-written harder sentences, so the file is reproducible. Label 1 = positive,
0 = negative.
"""

import csv
import random
from pathlib import Path


def item(name, be, pos, neg, pos_facts, neg_facts, pron=None, pron_be=None):
    """One thing reviewed: its name after "the", its verb "be" (is/are/was/were), adjectives that fit it
    (usable after "is", "is not ... at all", "is far from", "would be"; the first two of each list are the
    strongest, used where the adjective alone carries the verdict) and facts (predicates after its name or
    after its pronoun). The pronoun is "it", or "they" for a plural name or a group of people."""
    plural = be in ("are", "were")
    pron = pron or ("they" if plural else "it")
    return {"name": name, "be": be, "pos": pos, "neg": neg, "pos_facts": pos_facts, "neg_facts": neg_facts,
            "pron": pron, "pron_be": pron_be or be, "obj": "them" if pron == "they" else "it"}


# Side remarks ("The waiter was friendly, but ...") and verdicts fit every item of their domain.
DOMAINS = {
    "food": {
        "side_pos": ["The waiter was friendly", "The place looked lovely", "The menu sounded promising",
                     "We got a nice table by the window"],
        "side_neg": ["The wait was long", "The room was a bit noisy", "Parking was difficult",
                     "Our table was a little cramped"],
        "side_neg_np": ["the long wait", "the noisy room", "the slow service", "the cramped table"],
        "verdict_pos": ["We will definitely be back.", "I would order it again.", "Highly recommended.",
                        "Worth every penny."],
        "verdict_neg": ["We will not be back.", "I would not order it again.", "What a waste of money.",
                        "Not worth the price."],
        "items": [
            item("pizza", "was", ["delicious", "excellent", "tasty", "fresh"], ["bland", "soggy", "greasy", "burnt"],
                 ["had a perfectly crisp crust", "came to the table hot and fresh", "had plenty of toppings"],
                 ["arrived lukewarm", "had a soggy, undercooked base", "had hardly any cheese on it"]),
            item("ramen", "was", ["delicious", "excellent", "rich", "comforting"],
                 ["bland", "disappointing", "lukewarm", "watery"],
                 ["had a deep, rich broth", "came with perfectly chewy noodles",
                  "was the best bowl I have had in years"],
                 ["had soft, overcooked noodles", "came in a broth that tasted of nothing",
                  "was barely warm when it arrived"]),
            item("curry", "was", ["delicious", "excellent", "fragrant", "flavorful"],
                 ["bland", "watery", "greasy", "tasteless"],
                 ["had just the right amount of heat", "was full of tender chicken", "came with fluffy rice"],
                 ["had hardly any chicken in it", "was swimming in oil", "tasted like it came from a jar"]),
            item("burger", "was", ["delicious", "excellent", "juicy", "tasty"], ["dry", "greasy", "overcooked", "tasteless"],
                 ["was cooked exactly how I asked", "came with crispy fries", "was the best I have had in town"],
                 ["was as dry as cardboard", "fell apart before I could eat it", "came with cold, limp fries"]),
            item("steak", "was", ["delicious", "perfect", "tender", "juicy"], ["tough", "chewy", "overcooked", "dry"],
                 ["was cooked medium rare, exactly as ordered", "melted in the mouth", "was worth every penny"],
                 ["was well done although I ordered it rare", "was mostly fat and gristle",
                  "was hard to cut even with a sharp knife"]),
            item("chocolate cake", "was", ["delicious", "heavenly", "moist", "rich"],
                 ["disappointing", "stale", "dry", "heavy"],
                 ["was moist and not too sweet", "was the highlight of the meal", "tasted homemade"],
                 ["tasted several days old", "was dry and crumbly", "was so sweet I could not finish it"]),
        ],
    },
    "products": {
        "side_pos": ["The design is nice", "The packaging is lovely", "Delivery was quick",
                     "The price was tempting"],
        "side_neg": ["Delivery took a week", "The price is a bit high", "The box arrived a bit battered",
                     "The color is duller than in the photos"],
        "side_neg_np": ["the slow delivery", "the high price", "the battered box", "the dull color"],
        "verdict_pos": ["I would buy {obj} again.", "Worth every penny.", "Highly recommended.",
                        "Very happy with {obj}."],
        "verdict_neg": ["I am sending {obj} back.", "Save your money.", "I regret buying {obj}.",
                        "Do not buy {obj}."],
        "items": [
            item("kettle", "is", ["excellent", "reliable", "quick", "sturdy"], ["unreliable", "flimsy", "noisy", "slow"],
                 ["boils a full jug in about two minutes", "switches off the moment the water boils",
                  "has not leaked a single drop"],
                 ["leaks from the bottom", "takes ages to boil", "makes the water taste of plastic"]),
            item("blender", "is", ["excellent", "powerful", "reliable", "easy to clean"],
                 ["useless", "weak", "flimsy", "noisy"],
                 ["crushes ice in seconds", "makes perfectly smooth smoothies", "comes apart easily for cleaning"],
                 ["cannot even crush ice", "leaves chunks of fruit in every smoothie",
                  "smells of burning after a minute"]),
            item("vacuum cleaner", "is", ["excellent", "powerful", "quiet", "light"], ["useless", "weak", "noisy", "heavy"],
                 ["picks up every crumb and hair", "runs for an hour on one charge", "gets into every corner"],
                 ["barely picks up any dust", "loses suction after five minutes", "clogs every time I use it"]),
            item("laptop", "is", ["excellent", "fast", "reliable", "light"], ["unreliable", "slow", "heavy", "noisy"],
                 ["lasts a full working day on battery", "starts up in seconds", "has a bright, sharp screen"],
                 ["overheats when I open a few tabs", "runs out of battery in two hours",
                  "crashes several times a day"]),
            item("printer", "is", ["excellent", "reliable", "fast", "quiet"], ["useless", "unreliable", "slow", "noisy"],
                 ["has not jammed once", "prints sharp, clean pages", "was easy to connect to the wifi"],
                 ["jams every few pages", "keeps losing the wifi connection", "eats through ink cartridges"]),
            item("headphones", "are", ["great", "excellent", "comfortable", "light"],
                 ["disappointing", "uncomfortable", "flimsy", "tinny"],
                 ["sound clear and rich", "stay comfortable for hours", "block out the noise on the train"],
                 ["hurt my ears after twenty minutes", "crackle whenever I move my head",
                  "broke at the hinge within a month"]),
            item("running shoes", "are", ["excellent", "comfortable", "light", "supportive"],
                 ["uncomfortable", "flimsy", "stiff", "heavy"],
                 ["needed no breaking in", "still look new after three hundred miles",
                  "keep my feet dry in the rain"],
                 ["gave me blisters on the first run", "started to fall apart after a month", "pinch my toes"]),
            item("winter jacket", "is", ["excellent", "warm", "comfortable", "well made"],
                 ["disappointing", "thin", "flimsy", "uncomfortable"],
                 ["still looks new after three winters", "has plenty of deep pockets", "kept me dry in a downpour"],
                 ["lets the wind straight through", "lost its zip in the first week", "soaks through in light rain"]),
            item("backpack", "is", ["excellent", "comfortable", "sturdy", "roomy"],
                 ["disappointing", "flimsy", "uncomfortable", "small"],
                 ["fits my laptop and a change of clothes", "sits comfortably even when full",
                  "has survived two years of daily use"],
                 ["ripped at a seam within a week", "digs into my shoulders", "has a zip that keeps getting stuck"]),
        ],
    },
    "services": {
        "side_pos": ["The booking was easy", "The prices were clearly listed", "They were polite on the phone",
                     "The website was clear"],
        "side_neg": ["The booking process was clunky", "It cost a little more than I expected",
                     "The website was confusing", "The emails were confusing"],
        "side_neg_np": ["a clunky booking process", "the slightly high price", "a confusing website",
                        "some confusing emails"],
        "verdict_pos": ["Highly recommended.", "Five stars.", "Very impressed.", "Top marks."],
        "verdict_neg": ["Avoid.", "One star.", "Never again.", "Very disappointing."],
        "items": [
            item("haircut", "was", ["great", "neat", "excellent", "perfect"], ["terrible", "awful", "uneven", "rushed"],
                 ["was exactly what I asked for", "still looked good weeks later", "was done with real care"],
                 ["was much shorter than I asked for", "left one side longer than the other",
                  "was over in five minutes and looked it"]),
            item("delivery", "was", ["quick", "reliable", "punctual"], ["late", "careless", "slow", "unreliable"],
                 ["arrived a day earlier than promised", "came with accurate tracking the whole way",
                  "arrived well packed and undamaged"],
                 ["arrived three days late", "left the parcel out in the rain",
                  "came with a crushed box and a broken lid"]),
            item("support team", "was", ["helpful", "excellent", "friendly", "quick"],
                 ["useless", "rude", "unhelpful", "slow"],
                 ["sorted out my problem in one call", "replied within an hour", "sent a replacement the next day"],
                 ["kept me on hold for an hour", "never answered my emails", "hung up on me twice"],
                 pron="they", pron_be="were"),
            item("car repair", "was", ["excellent", "thorough", "quick", "affordable"],
                 ["useless", "sloppy", "slow", "overpriced"],
                 ["was finished the same afternoon", "cost exactly what was quoted", "got rid of the rattle for good"],
                 ["took two weeks instead of two days", "cost twice the quoted price", "did not even fix the rattle"]),
            item("gym", "is", ["excellent", "clean", "spacious", "friendly"], ["dirty", "overpriced", "crowded", "cramped"],
                 ["has plenty of equipment", "is never too busy in the mornings", "has helpful trainers"],
                 ["has half its machines out of order", "has showers that are always cold",
                  "is packed at every hour of the day"]),
        ],
    },
    "media": {
        "side_pos": ["The premise sounded promising", "It started well", "A friend recommended it",
                     "The reviews were glowing"],
        "side_neg": ["It takes a while to get going", "The opening is slow", "One subplot goes nowhere",
                     "It is a bit long"],
        "side_neg_np": ["a slow opening", "one subplot that goes nowhere", "a few clumsy lines",
                        "a slightly rushed ending"],
        "verdict_pos": ["Highly recommended.", "Do not miss it.", "Five stars.", "I loved every minute."],
        "verdict_neg": ["Skip it.", "A waste of time.", "One star.", "I would not recommend it."],
        "items": [
            item("film", "was", ["brilliant", "gripping", "moving", "funny"], ["boring", "dull", "predictable", "confusing"],
                 ["kept me on the edge of my seat", "had a wonderful cast", "had an ending I will not forget"],
                 ["dragged on for far too long", "had a plot full of holes", "put me to sleep halfway through"]),
            item("novel", "was", ["brilliant", "gripping", "moving", "beautifully written"],
                 ["dull", "badly written", "slow", "predictable"],
                 ["kept me reading until two in the morning", "had characters I still think about",
                  "had me hooked from the first page"],
                 ["lost me after fifty pages", "had an ending that made no sense", "was full of flat characters"]),
            item("documentary", "was", ["fascinating", "excellent", "informative", "moving"],
                 ["boring", "shallow", "dull", "one-sided"],
                 ["taught me a lot", "had stunning footage", "was clear and well researched"],
                 ["told me nothing new", "repeated the same points over and over",
                  "felt like a long advertisement"]),
            item("series", "was", ["brilliant", "gripping", "addictive", "funny"],
                 ["boring", "disappointing", "repetitive", "slow"],
                 ["got better with every episode", "had me watching three episodes in a row",
                  "had great writing and acting"],
                 ["ran out of ideas after two episodes", "had a final season that ruined everything",
                  "wasted a great cast"]),
            item("play", "was", ["brilliant", "gripping", "funny", "moving"], ["boring", "tedious", "dull", "confusing"],
                 ["had a superb lead actor", "had the whole audience laughing",
                  "flew by even though it lasted three hours"],
                 ["felt twice as long as it was", "had actors who kept forgetting their lines",
                  "lost half the audience at the interval"]),
        ],
    },
    "travel": {
        "side_pos": ["The booking was easy", "The staff were friendly", "The website was clear",
                     "The photos online looked great"],
        "side_neg": ["Booking online was fiddly", "The wifi was patchy", "We had a long wait at the start",
                     "The price was a bit high"],
        "side_neg_np": ["a fiddly booking website", "the patchy wifi", "a long wait at the start",
                        "the slightly high price"],
        "verdict_pos": ["Highly recommended.", "Worth every penny.", "I would book it again.", "Five stars."],
        "verdict_neg": ["I would not book it again.", "Avoid.", "What a waste of money.", "One star."],
        "items": [
            item("hotel room", "was", ["clean", "comfortable", "spacious", "quiet"], ["dirty", "shabby", "cramped", "noisy"],
                 ["had a view of the sea", "had a very comfortable bed", "had a lovely balcony"],
                 ["smelled of smoke", "had a broken shower", "was right above a noisy bar"]),
            item("flight", "was", ["smooth", "comfortable", "pleasant", "punctual"],
                 ["uncomfortable", "delayed", "cramped", "bumpy"],
                 ["landed twenty minutes early", "had a friendly and attentive crew",
                  "had more legroom than I expected"],
                 ["sat on the runway for two hours", "left without my suitcase", "had no food or water for six hours"]),
            item("train journey", "was", ["smooth", "relaxing", "comfortable", "punctual"],
                 ["uncomfortable", "delayed", "crowded", "slow"],
                 ["arrived exactly on time", "had free wifi that actually worked",
                  "went through beautiful countryside"],
                 ["stopped for an hour in the middle of nowhere", "had no seats left, so I stood for three hours",
                  "had no heating in the middle of winter"]),
            item("guided tour", "was", ["fascinating", "excellent", "informative", "fun"],
                 ["boring", "overpriced", "rushed", "disorganized"],
                 ["had a guide who knew every story in town", "showed us places we would never have found",
                  "finished with a lovely lunch by the river"],
                 ["spent most of the time in souvenir shops", "had a guide who read from a script",
                  "tried to cover far too much in two hours"]),
            item("rental car", "was", ["spotless", "reliable", "clean", "comfortable"],
                 ["dirty", "unreliable", "battered", "uncomfortable"],
                 ["was nearly new", "was ready the minute we landed", "used very little fuel"],
                 ["had a warning light on from the start", "smelled of cigarettes", "broke down on the second day"]),
            item("campsite", "was", ["beautiful", "peaceful", "clean", "quiet"], ["dirty", "noisy", "crowded", "muddy"],
                 ["had spotless showers", "had a stunning view of the lake", "was quiet every night"],
                 ["had toilets that were never cleaned", "was full of loud groups until three in the morning",
                  "turned into a mud bath after one shower of rain"]),
        ],
    },
}

# Sentence forms. {The}: "The kettle"; {be}: is/are/was/were; {pron}: it/they; {a}, {b}: adjectives of the
# sentence's own label, {x}: an adjective of the opposite label (negated); {pbe}: "be" after {pron}; {fact}: a fact of the sentence's own
# label; {side}: a side remark of the opposite label; {verdict}: a verdict of the sentence's own label.
PLAIN = ["{The} {be} {a} and {b}.", "{The} {be} {a}, and {pron} {fact}.", "{The} {fact}. {verdict}",
         "{The} {be} {a}. {verdict}", "{The} {be} {a}; {pron} {fact}."]
NEGATED = {  # the negated adjective is of the OTHER label
    1: ["{The} {be} not {x} at all.", "I was worried the {name} would be {x}, but {pron} {pbe} not.",
        "{The} {be} not {x} at all, and {pron} {fact}.", "{The} {be} far from {x}; {pron} {fact}."],
    0: ["{The} {be} not {x} at all.", "I hoped the {name} would be {x}, but {pron} {pbe} not.",
        "{The} {be} not {x} at all, and {pron} {fact}.", "{The} {be} far from {x}; {pron} {fact}."],
}
MIXED = {  # a side remark of the other label, then a clear verdict on the thing itself
    1: ["{Side}, but the {name} {be} {a}. {verdict}", "Apart from {side_np}, the {name} {be} {a}."],
    0: ["{Side}, but the {name} {be} {a}. {verdict}", "{Side}, but the {name} {fact}. {verdict}"],
}
# "not excellent at all" is not idiomatic, and "not terrible at all" or "far from awful" is only lukewarm praise
NOT_NEGATED = {"excellent", "brilliant", "perfect", "heavenly", "great", "spotless", "awful", "terrible",
               "unreliable", "unhelpful", "delayed", "late"}
# "great and excellent" is no sentence: at most one general adjective in "{a} and {b}", and it comes first
GENERAL = {"excellent", "brilliant", "perfect", "heavenly", "great", "spotless", "delicious", "awful", "terrible",
           "useless", "disappointing"}

HARD = [  # hand-written: contrast, negation, sentiment without a sentiment adjective
    ("I expected to hate it, but the blender is actually great.", 1),
    ("Not bad at all for the price.", 1),
    ("I can't complain about anything.", 1),
    ("It does not disappoint.", 1),
    ("I was skeptical, yet it has not failed me once.", 1),
    ("The box was damaged, but the kettle inside was perfect.", 1),
    ("No problems so far, and the battery lasts for days.", 1),
    ("Cheap, but it does the job well.", 1),
    ("I have no regrets about this purchase.", 1),
    ("Never had a better pizza in this town.", 1),
    ("The waiter was slow, but the food made up for it.", 1),
    ("The speaker sounded harsh at first, but after a day it sounds wonderful.", 1),
    ("I replaced my old one with this and never looked back.", 1),
    ("Could not be happier with the delivery.", 1),
    ("It is not perfect, but it is very good.", 1),
    ("My kids fight over who gets to use it.", 1),
    ("The hotel was cheap and clean, what more could I want?", 1),
    ("Does exactly what it says on the box.", 1),
    ("I bought a second one for my parents.", 1),
    ("It looks expensive, even though it was not.", 1),
    ("The design is beautiful, but it broke in a week.", 0),
    ("Looks great in the photos, falls apart in real life.", 0),
    ("I wanted to love it, but it is just not good.", 0),
    ("Not worth the money.", 0),
    ("I would not recommend it to anyone.", 0),
    ("The staff were friendly, but the room was filthy.", 0),
    ("It worked fine for a day, then it died.", 0),
    ("Nice color, terrible battery.", 0),
    ("I can't believe I paid for this.", 0),
    ("Never again.", 0),
    ("Great idea, poor execution.", 0),
    ("It is neither comfortable nor useful.", 0),
    ("The app crashes every time I open it.", 0),
    ("Two hours on hold and nobody helped me.", 0),
    ("The pizza arrived cold and soggy.", 0),
    ("I had high hopes, but the laptop overheats constantly.", 0),
    ("It is fine if you never plan to use it.", 0),
    ("The instructions promise five minutes; it took me three hours.", 0),
    ("Returned it the next morning.", 0),
    ("Good luck getting a refund.", 0),
]


def _sentence(rng, dom, it, label, form):
    """One review sentence of the given label ("plain", "negated" or "mixed") about item ``it``."""
    own, other = ("pos", "neg") if label == 1 else ("neg", "pos")
    a, b = rng.sample(it[own], 2)
    if b in GENERAL:
        a, b = (b, a) if a not in GENERAL else (a, rng.choice([w for w in it[own] if w not in GENERAL]))
    x = rng.choice(it[other])
    if form == "plain":
        tmpl = rng.choice(PLAIN)
    elif form == "negated":
        tmpl = rng.choice(NEGATED[label])
        if "would be" not in tmpl:
            x = rng.choice([w for w in it[other] if w not in NOT_NEGATED])
    else:
        tmpl = rng.choice(MIXED[label])
        a = rng.choice(it[own][:2])  # the adjective alone carries the verdict: a strong one
    verdict = rng.choice(dom["verdict_" + own]).format(obj=it["obj"])
    return tmpl.format(The="The " + it["name"], name=it["name"], be=it["be"], pron=it["pron"], pbe=it["pron_be"],
                       a=a, b=b, x=x, fact=rng.choice(it[own + "_facts"]),
                       Side=rng.choice(dom["side_" + other]), side_np=rng.choice(dom["side_neg_np"]),
                       verdict=verdict)


def build(seed=0, n_per_class=200):
    """The corpus as a shuffled list of ``(text, label)``, ``n_per_class`` sentences of each label."""
    rng = random.Random(seed)
    pairs = [(dom, it) for dom in DOMAINS.values() for it in dom["items"]]
    rows = []
    seen = set()  # bags of words already used: "late and slow" after "slow and late" is no new sentence
    for label in (1, 0):
        texts = {t for t, y in HARD if y == label}
        order = []
        while len(texts) < n_per_class:
            if not order:  # visit every item once, in a fresh random order, before any item again
                order = rng.sample(range(len(pairs)), len(pairs))
            dom, it = pairs[order.pop()]
            form = rng.choices(["plain", "negated", "mixed"], weights=[0.55, 0.25, 0.2])[0]
            text = _sentence(rng, dom, it, label, form)
            key = tuple(sorted(text.lower().replace(".", " ").replace(",", " ").replace(";", " ").split()))
            if key not in seen:
                seen.add(key)
                texts.add(text)
        rows += [(t, label) for t in sorted(texts)]
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    out = Path(__file__).with_name("sentiment.csv")
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label"])
        w.writerows(build())
    print(f"wrote {out}")
