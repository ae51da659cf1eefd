"""The contract's fixed vocabulary (enums of HTTP contract v1.1). Doses and limits live in data."""

SEXES = ("female", "male", "other", "unspecified")
LIFE_STAGES = ("none", "pregnant", "breastfeeding")
# what an interaction's `trigger.life_stage` can name (reference.trigger_life_stages)
TRIGGER_LIFE_STAGES = ("pregnant", "breastfeeding", "planning_pregnancy")
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
    # contract v1.1
    "oral_retinoid",
    "amiodarone",
    "active_vitamin_d",
    "antiplatelet",
    "integrase_inhibitor",
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
    # contract v1.1
    "thyroid_disease",
    "haemochromatosis",
    "bariatric_surgery",
)
# The contract's nutrient keys (amounts per day, unit in the key) and the other input units a
# profile may use for them (converted with the factors in rules/reference/nutrients.yaml).
NUTRIENT_KEYS = (
    "vitamin_d_ug",
    "vitamin_k1_ug",
    "vitamin_k2_ug",
    "calcium_mg",
    "magnesium_mg",
    "vitamin_a_ug",
    "vitamin_e_mg",
    "vitamin_b6_mg",
    "vitamin_b12_ug",
    "folic_acid_ug",
    "zinc_mg",
    "iron_mg",
    "iodine_ug",
    "selenium_ug",
    "omega3_mg",
)
INPUT_UNITS = ("vitamin_d_iu", "vitamin_a_iu")
SUN_EXPOSURES = ("low", "moderate", "high")
GOALS = ("bones", "immunity", "muscles", "heart", "energy", "pregnancy", "sport")
LOCALES = ("nl", "de", "en")
DEFAULT_LOCALE = "nl"  # a request that names no locale is answered in Dutch (the first market)
EVENT_TYPES = ("view", "click", "add_to_cart", "purchase")
FORMS = ("tablet", "capsule", "softgel", "drops", "spray", "chewable", "gummy", "powder", "liquid")
RULE_ACTIONS = ("boost", "bury", "exclude", "pin", "require")
