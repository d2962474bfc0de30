"""The default taxonomy installed with the database (editable afterwards in the admin).

Drawn from endoscopy practice: the photo-documentation landmarks of ESGE quality guidelines for upper GI
endoscopy and colonoscopy, the airway landmarks of bronchoscopy, the EUS stations, common pathologies,
and the frame-quality findings that make a frame unusable for training (Boston bowel preparation scale,
blur, bubbles, ...).
"""

# (name, kind, procedure, colour, description)
DEFAULT_TAGS: list[tuple[str, str, str, str, str]] = [
    # Pathologies (any procedure)
    ("Polyp", "pathology", "", "#FF3B30", "Protruding or flat mucosal lesion (Paris classification 0-Ip … 0-III)."),
    ("Ulcer", "pathology", "", "#FF9500", "Mucosal break with fibrin base."),
    ("Bleeding", "pathology", "", "#D70015", "Active bleeding, clot or visible vessel."),
    ("Mass / tumour", "pathology", "", "#AF52DE", "Exophytic or infiltrating mass."),
    ("Erosion", "pathology", "", "#FFCC00", "Superficial mucosal defect."),
    ("Inflammation", "pathology", "", "#FF6482", "Erythema, oedema, loss of vascular pattern."),
    ("Diverticulum", "pathology", "", "#A2845E", "Outpouching of the wall."),
    ("Varices", "pathology", "", "#5856D6", "Dilated submucosal veins (oesophageal, gastric)."),
    ("Barrett's oesophagus", "pathology", "gastroscopy", "#FF2D55", "Salmon-coloured columnar mucosa above the GEJ."),
    ("Stricture / stenosis", "pathology", "", "#8E8E93", "Narrowing of the lumen."),
    ("Foreign body", "pathology", "", "#64D2FF", "Foreign material in the lumen."),
    ("Lymph node", "pathology", "eus", "#30B0C7", "Lymph node seen at EUS (size, shape, echogenicity)."),
    # Gastroscopy landmarks
    ("Oesophagus", "landmark", "gastroscopy", "#34C759", "Upper or middle oesophagus."),
    ("Z-line", "landmark", "gastroscopy", "#30D158", "Squamocolumnar junction."),
    ("Gastro-oesophageal junction", "landmark", "gastroscopy", "#00C7BE", "Top of the gastric folds."),
    ("Cardia (retroflexion)", "landmark", "gastroscopy", "#32ADE6", "Cardia and fundus seen in retroflexion."),
    ("Gastric body", "landmark", "gastroscopy", "#007AFF", "Greater curvature folds of the body."),
    ("Angulus", "landmark", "gastroscopy", "#5AC8FA", "Incisura angularis."),
    ("Antrum", "landmark", "gastroscopy", "#0A84FF", "Gastric antrum."),
    ("Pylorus", "landmark", "gastroscopy", "#5E5CE6", "Pyloric ring."),
    ("Duodenal bulb", "landmark", "gastroscopy", "#BF5AF2", "First part of the duodenum."),
    ("Second part of duodenum", "landmark", "gastroscopy", "#DA8FFF", "Descending duodenum, papilla region."),
    # Colonoscopy landmarks
    ("Rectum", "landmark", "colonoscopy", "#34C759", "Rectum, including retroflexion view."),
    ("Sigmoid colon", "landmark", "colonoscopy", "#30D158", "Sigmoid colon."),
    ("Descending colon", "landmark", "colonoscopy", "#00C7BE", "Descending colon."),
    ("Splenic flexure", "landmark", "colonoscopy", "#32ADE6", "Splenic flexure."),
    ("Transverse colon", "landmark", "colonoscopy", "#007AFF", "Triangular folds of the transverse colon."),
    ("Hepatic flexure", "landmark", "colonoscopy", "#5AC8FA", "Hepatic flexure (bluish liver shadow)."),
    ("Ascending colon", "landmark", "colonoscopy", "#0A84FF", "Ascending colon."),
    ("Ileocaecal valve", "landmark", "colonoscopy", "#5E5CE6", "Ileocaecal valve: proof of caecal intubation."),
    ("Appendiceal orifice", "landmark", "colonoscopy", "#BF5AF2", "Appendiceal orifice: proof of caecal intubation."),
    ("Terminal ileum", "landmark", "colonoscopy", "#DA8FFF", "Terminal ileum."),
    ("Caecum", "landmark", "colonoscopy", "#AF52DE",
     "Caecum (caecal pole, appendiceal orifice, ileocaecal valve in view): the caecum is reached."),
    # Bronchoscopy landmarks
    ("Vocal cords", "landmark", "bronchoscopy", "#34C759", "Glottis and vocal cords."),
    ("Trachea", "landmark", "bronchoscopy", "#30D158", "Tracheal rings."),
    ("Main carina", "landmark", "bronchoscopy", "#00C7BE", "Carina between the main bronchi."),
    ("Right main bronchus", "landmark", "bronchoscopy", "#32ADE6", "Right main bronchus."),
    ("Right upper lobe bronchus", "landmark", "bronchoscopy", "#007AFF", "Right upper lobe orifice."),
    ("Bronchus intermedius", "landmark", "bronchoscopy", "#5AC8FA", "Bronchus intermedius."),
    ("Left main bronchus", "landmark", "bronchoscopy", "#0A84FF", "Left main bronchus."),
    ("Left upper lobe bronchus", "landmark", "bronchoscopy", "#5E5CE6", "Left upper lobe and lingula."),
    ("Lower lobe bronchi", "landmark", "bronchoscopy", "#BF5AF2", "Right and left lower lobe bronchi."),
    # EUS landmarks (stations)
    ("Pancreatic head", "landmark", "eus", "#34C759", "Pancreatic head and uncinate process."),
    ("Pancreatic body / tail", "landmark", "eus", "#30D158", "Pancreatic body and tail."),
    ("Common bile duct", "landmark", "eus", "#00C7BE", "Common bile duct."),
    ("Portal confluence", "landmark", "eus", "#32ADE6", "Spleno-portal confluence."),
    ("Aorta / coeliac trunk", "landmark", "eus", "#007AFF", "Aorta and coeliac trunk."),
    ("Ampulla", "landmark", "eus", "#5AC8FA", "Ampulla of Vater."),
    # Quality findings
    ("Blur", "quality", "", "#8E8E93", "Motion or focus blur: frame not diagnostic."),
    ("Bubbles", "quality", "", "#AEAEB2", "Bubbles or foam hiding the mucosa."),
    ("Poor preparation", "quality", "colonoscopy", "#A2845E", "Stool or fluid hiding the mucosa (BBPS 0–1 segment)."),
    ("BBPS 0–1", "quality", "colonoscopy", "#8B5A2B",
     "Boston bowel preparation scale 0–1 in the segment seen: inadequate (stool or opaque fluid hides mucosa)."),
    ("BBPS 2–3", "quality", "colonoscopy", "#C9A66B",
     "Boston bowel preparation scale 2–3 in the segment seen: adequate (mucosa seen well)."),
    ("Impacted stool", "quality", "colonoscopy", "#6B4226", "Solid stool that cannot be washed away."),
    ("Specular reflection", "quality", "", "#F2F2F7", "Light reflection saturating the image."),
    ("Contact / red-out", "quality", "", "#C7C7CC", "Lens against the wall: nothing visible."),
    ("Out of body", "quality", "", "#636366", "Scope outside the patient."),
    ("Instrument", "quality", "", "#FFD60A", "Forceps, snare or other instrument in view."),
]

#: Tags of which a frame shows at most one: a classifier's answers among them are one choice (the most
#: probable one above its threshold), and its errors among them are counted as a confusion matrix.
EXCLUSIVE_GROUPS: dict[str, tuple[str, ...]] = {
    "Bowel preparation (BBPS)": ("BBPS 0–1", "BBPS 2–3"),
}

#: Other names of tags, as public endoscopy datasets name their class folders (HyperKvasir's labelled images,
#: Kvasir): a folder-per-class import finds a folder's tag by its name, then by these.
ALIASES: dict[str, str] = {
    "cecum": "Caecum", "normal-cecum": "Caecum", "caecum": "Caecum",
    "bbps-0-1": "BBPS 0–1", "bbps-2-3": "BBPS 2–3",
    "polyps": "Polyp",
    "pylorus": "Pylorus", "normal-pylorus": "Pylorus", "z-line": "Z-line", "normal-z-line": "Z-line",
    "retroflex-stomach": "Cardia (retroflexion)", "ileum": "Terminal ileum", "terminal-ileum": "Terminal ileum",
    "retroflex-rectum": "Rectum", "barretts": "Barrett's oesophagus",
}


def exclusive_group(name: str) -> str | None:
    """The exclusive group ``name`` belongs to, or None."""
    return next((group for group, members in EXCLUSIVE_GROUPS.items() if name in members), None)


def install_default_tags(tag_model=None) -> int:
    """Create the default tags that do not exist yet (by name); returns how many were created.

    ``tag_model``: the Tag model to use (a migration passes its historical model).
    """
    if tag_model is None:
        from .models import Tag as tag_model
    created = 0
    for order, (name, kind, procedure, color, description) in enumerate(DEFAULT_TAGS):
        _, was_created = tag_model.objects.get_or_create(
            name=name,
            defaults={"kind": kind, "procedure": procedure, "color": color, "description": description, "order": order},
        )
        created += was_created
    return created
