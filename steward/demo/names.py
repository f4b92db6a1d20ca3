"""Word lists the demo generator draws from (invented names; any likeness is chance)."""

COMPANY_FIRST = [
    "Acme", "Borealis", "Cobalt", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Keystone", "Lumen", "Meridian", "Northwind", "Orion", "Pioneer", "Quantum", "Redwood", "Summit", "Tidewater",
    "Umbra", "Vertex", "Westbrook", "Xenon", "Yellowstone", "Zephyr", "Aurora", "Beacon", "Cascade", "Dune",
    "Ember", "Fjord", "Glacier", "Helix", "Ionic", "Jasper", "Kestrel", "Lattice", "Mosaic", "Nimbus",
    "Oakridge", "Polaris", "Quarry", "Riverside", "Sterling", "Titan", "Unity", "Vantage", "Willow", "Atlas",
    "Bluefin", "Crescent", "Driftwood", "Elevate", "Foxglove", "Greystone", "Highland", "Ironbridge", "Kingfisher", "Lighthouse",
]
COMPANY_SECOND = [
    "Logistics", "Foods", "Mining", "Pharma", "Energy", "Robotics", "Textiles", "Analytics", "Retail", "Telecom",
    "Chemicals", "Aerospace", "Freight", "Medical", "Packaging", "Automotive", "Software", "Hospitality", "Insurance", "Construction",
    "Biotech", "Semiconductors", "Utilities", "Media", "Agritech", "Shipping", "Furniture", "Steel", "Paper", "Water",
]
LEGAL_FORMS = {
    "DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SA", "IT": "S.p.A.", "ES": "S.L.", "NL": "B.V.", "GB": "Ltd",
    "SE": "AB", "PL": "Sp. z o.o.", "US": "Inc.", "CA": "Inc.", "MX": "S.A. de C.V.", "BR": "Ltda.", "AR": "S.A.",
    "CL": "S.A.", "JP": "K.K.", "AU": "Pty Ltd", "SG": "Pte. Ltd.", "IN": "Pvt. Ltd.",
}
REGIONS = [
    ("EMEA", "Europe, Middle East and Africa", [("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("GB", "Europe/London"), ("NL", "Europe/Amsterdam"), ("IT", "Europe/Rome"), ("ES", "Europe/Madrid"), ("SE", "Europe/Stockholm"), ("PL", "Europe/Warsaw"), ("CH", "Europe/Zurich"), ("AT", "Europe/Vienna")]),
    ("NA", "North America", [("US", "America/New_York"), ("US", "America/Chicago"), ("US", "America/Los_Angeles"), ("CA", "America/Toronto")]),
    ("APAC", "Asia Pacific", [("JP", "Asia/Tokyo"), ("AU", "Australia/Sydney"), ("SG", "Asia/Singapore"), ("IN", "Asia/Kolkata")]),
    ("LATAM", "Latin America", [("BR", "America/Sao_Paulo"), ("MX", "America/Mexico_City"), ("AR", "America/Argentina/Buenos_Aires"), ("CL", "America/Santiago")]),
]
TERRITORIES = {"EMEA": ["DACH", "Benelux", "Nordics", "UK & Ireland", "Southern Europe"], "NA": ["East", "Central", "West", "Canada"], "APAC": ["Japan", "ANZ", "South-East Asia", "India"], "LATAM": ["Brazil", "Mexico", "Southern Cone"]}
INDUSTRIES = [
    "Manufacturing", "Logistics", "Retail", "Healthcare", "Financial services", "Energy", "Telecommunications",
    "Pharmaceuticals", "Food and beverage", "Automotive", "Public sector", "Software", "Chemicals", "Construction",
]
FIRST_NAMES = [
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Lukas", "Maya", "Noah",
    "Olivia", "Paul", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "William", "Ximena", "Yusuf", "Zoe", "Amir",
    "Beatriz", "Chen", "Dmitri", "Emma", "Farah", "Gabriel", "Hana", "Isaac", "Julia", "Kenji", "Leila", "Mateo", "Nora",
    "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Ugo", "Valentina", "Wei", "Yara", "Zainab", "Liam", "Mia", "Ethan",
]
LAST_NAMES = [
    "Schmidt", "Martin", "Rossi", "Garcia", "Smith", "Johnson", "Nowak", "Jansen", "Dubois", "Müller", "Silva", "Santos",
    "Tanaka", "Sato", "Kim", "Lee", "Nguyen", "Patel", "Singh", "Kowalski", "Andersson", "Nielsen", "Fischer", "Weber",
    "Moreau", "Ricci", "Lopez", "Hernandez", "Brown", "Wilson", "Taylor", "Clarke", "Murphy", "O'Brien", "Costa", "Ferreira",
    "Yamamoto", "Chen", "Wang", "Kaur", "Ahmed", "Hassan", "Novak", "Horvat", "Popescu", "Ivanova", "Berg", "Lindqvist",
]
SENIOR_TITLES = ["Chief Operating Officer", "VP Operations", "Chief Procurement Officer", "CFO", "Managing Director", "VP Supply Chain", "CIO"]
MID_TITLES = ["Head of Procurement", "Director of Logistics", "Head of IT", "Operations Director", "Category Manager", "Head of Quality", "Plant Manager"]
JUNIOR_TITLES = ["Buyer", "Operations Analyst", "Project Manager", "IT Administrator", "Logistics Coordinator", "Quality Engineer", "Controller"]
DEPARTMENTS = ["Operations", "Procurement", "Finance", "IT", "Supply Chain", "Quality", "Executive"]
SUBJECTS = {
    "call": ["Weekly check-in", "Delivery status call", "Renewal pre-call", "Escalation follow-up", "Invoice question", "Forecast review call"],
    "meeting": ["Quarterly planning", "Roadmap workshop", "Steering committee", "Onboarding kick-off", "Pricing discussion", "Service review"],
    "visit": ["Site visit", "Plant tour", "Executive visit", "On-site workshop"],
    "email": ["Sent delivery schedule", "Shared proposal", "Follow-up on open items", "Sent meeting notes", "Confirmed order changes"],
    "note": ["Internal note: pricing", "Internal note: risk", "Account planning notes", "Competitor spotted"],
    "review": ["Quarterly business review", "Annual account review", "Executive business review"],
}
OUTCOMES = ["Agreed next steps", "Customer satisfied", "Concerns about delivery times", "Interest in expansion", "Waiting on customer", "Budget under review", ""]
NEXT_STEPS = ["Send proposal", "Schedule follow-up", "Loop in operations", "Prepare QBR deck", "Confirm delivery dates", ""]
TASK_TITLES = [
    "Prepare QBR deck", "Send renewal proposal", "Follow up on open invoice", "Schedule executive sponsor call",
    "Update stakeholder map", "Confirm delivery plan", "Review SLA breaches", "Introduce new champion",
    "Plan onboarding workshop", "Check usage trend", "Draft account plan", "Reply to escalation",
]
