"""Write sentiment.csv: short English review sentences for the course (CC0, written for this course).

Run from the repository root: ``python course_lib/data/make_sentiment.py``. Templates, word lists and a list of
hand-written harder sentences (negations, contrast, sarcasm-free mixed reviews) are combined with a fixed seed,
so the file is reproducible. Label 1 = positive, 0 = negative.
"""

import csv
import random
from pathlib import Path

ITEMS = ["headphones", "coffee maker", "laptop", "phone case", "blender", "backpack", "desk lamp", "kettle",
         "hotel room", "pizza", "haircut", "delivery", "keyboard", "vacuum cleaner", "running shoes", "tent",
         "printer", "charger", "jacket", "toaster", "mattress", "camera", "smartwatch", "restaurant",
         "rental car", "app", "speaker", "router", "sofa", "umbrella"]
POS_ADJ = ["excellent", "great", "fantastic", "wonderful", "superb", "solid", "reliable", "comfortable",
           "impressive", "lovely", "brilliant", "sturdy", "perfect", "delightful", "outstanding"]
NEG_ADJ = ["terrible", "awful", "poor", "flimsy", "disappointing", "useless", "cheap-feeling", "horrible",
           "unreliable", "uncomfortable", "dreadful", "faulty", "mediocre", "broken", "shoddy"]
POS_TAIL = ["and I would buy it again", "and it was worth every penny", "and the staff were friendly",
            "and it arrived early", "and it works exactly as described", "and my whole family loves it",
            "and setup took two minutes", "and the quality surprised me", "and I recommend it to everyone",
            "and it still works perfectly after a year"]
NEG_TAIL = ["and I want a refund", "and it broke after a week", "and support never answered",
            "and it arrived late and scratched", "and it stopped working after two days",
            "and the instructions made no sense", "and I regret buying it", "and it was a waste of money",
            "and customer service was rude", "and it smells strange"]
POS_TEMPLATES = ["The {item} is {adj} {tail}.", "What a {adj} {item}, {tail2}.", "Really {adj} {item}.",
                 "I love this {item}, it is {adj}.", "This {item} is {adj}, highly recommended.",
                 "Five stars, the {item} is {adj}.", "Honestly the most {adj} {item} I have owned.",
                 "Our new {item} is {adj} {tail}."]
NEG_TEMPLATES = ["The {item} is {adj} {tail}.", "What a {adj} {item}, {tail2}.", "Really {adj} {item}.",
                 "I hate this {item}, it is {adj}.", "This {item} is {adj}, avoid it.",
                 "One star, the {item} is {adj}.", "Honestly the most {adj} {item} I have owned.",
                 "Our new {item} is {adj} {tail}."]
# negated templates: a negated positive adjective is negative, a negated negative adjective is positive
NEG_BY_NEGATION = ["The {item} is not {padj} at all.", "Sadly the {item} was not {padj}.",
                   "I would not call this {item} {padj}.", "The {item} is far from {padj}."]
POS_BY_NEGATION = ["The {item} is not {nadj} at all.", "I was worried, but the {item} is not {nadj}.",
                   "Nothing about this {item} is {nadj}.", "The {item} was never {nadj}, not once."]

HARD = [  # hand-written: negation, contrast, mixed words, no obvious adjective
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
    ("Loud at first, but after a day the speaker sounds wonderful.", 1),
    ("I returned my old one and never looked back.", 1),
    ("Could not be happier with the delivery.", 1),
    ("It is not perfect, but it is very good.", 1),
    ("My kids fight over who gets to use it.", 1),
    ("The hotel was cheap and clean, what more could I want?", 1),
    ("Does exactly what it says on the box.", 1),
    ("I bought a second one for my parents.", 1),
    ("It feels expensive even though it was not.", 1),
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


def build(seed=0, n_per_class=200):
    rng = random.Random(seed)
    rows = set()
    hard_pos = [t for t, y in HARD if y == 1]
    hard_neg = [t for t, y in HARD if y == 0]
    pos, neg = set(hard_pos), set(hard_neg)

    def fill(target, templates, adjs, tails, negation_templates, other_adjs):
        while len(target) < n_per_class:
            item = rng.choice(ITEMS)
            if rng.random() < 0.2:
                tmpl = rng.choice(negation_templates)
                target.add(tmpl.format(item=item, padj=rng.choice(other_adjs), nadj=rng.choice(other_adjs)))
            else:
                tmpl = rng.choice(templates)
                tail = rng.choice(tails)
                s = tmpl.format(item=item, adj=rng.choice(adjs), tail=tail, tail2=tail[4:])
                target.add(s.replace(" a e", " an e").replace(" a u", " an u").replace(" a i", " an i")
                           .replace(" a a", " an a").replace(" a o", " an o"))

    fill(pos, POS_TEMPLATES, POS_ADJ, POS_TAIL, POS_BY_NEGATION, NEG_ADJ)
    fill(neg, NEG_TEMPLATES, NEG_ADJ, NEG_TAIL, NEG_BY_NEGATION, POS_ADJ)
    rows = [(t, 1) for t in sorted(pos)] + [(t, 0) for t in sorted(neg)]
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    out = Path(__file__).with_name("sentiment.csv")
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label"])
        w.writerows(build())
    print(f"wrote {out}")
