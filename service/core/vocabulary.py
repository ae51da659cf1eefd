"""The contract's fixed vocabulary (enums of HTTP contract v1). Doses and limits live in data."""

SEXES = ("female", "male", "other", "unspecified")
LIFE_STAGES = ("none", "pregnant", "breastfeeding")
DIETS = ("omnivore", "vegetarian", "vegan")
ALLERGENS = ("fish", "shellfish", "soy", "milk", "egg", "gluten", "peanut", "tree_nut")
MEDICATIONS = (
    "vitamin_k_antagonist",
    "thiazide_diuretic",
    "digoxin",
    "bisphosphonate",
    "levothyroxine",
    "tetracycline",
    "quinolone",
    "bile_acid_sequestrant",
    "orlistat",
    "corticosteroid",
    "anticonvulsant",
)
CONDITIONS = (
    "hypercalcaemia",
    "sarcoidosis",
    "hyperparathyroidism",
    "kidney_stones",
    "kidney_disease",
    "malabsorption",
    "osteoporosis",
    "osteopenia",
    "liver_disease",
)
SUN_EXPOSURES = ("low", "moderate", "high")
GOALS = ("bones", "immunity", "muscles", "heart", "energy", "pregnancy", "sport")
LOCALES = ("nl", "de", "en")
EVENT_TYPES = ("view", "click", "add_to_cart", "purchase")
FORMS = ("tablet", "capsule", "softgel", "drops", "spray", "chewable", "gummy", "powder", "liquid")
RULE_ACTIONS = ("boost", "bury", "exclude", "pin", "require")
