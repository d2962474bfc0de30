"""The static files storage: WhiteNoise's compressed files under content-hashed names, ES modules included."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Also rewrites the imports of ES modules (``import … from "./annotate/state.js";``) to the hashed names,
    so that a page never runs a new module with an old one it imports: every name changes with its content and
    is cached for a year. Each import statement must end with ``;``, and the imports must form no cycle."""

    support_js_module_import_aggregation = True
