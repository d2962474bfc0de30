from django.urls import path

from core import jobs_api

from . import api, views

# The jobs API's /api/jobs/<kind>/<id>/, at the older addresses of these kinds.
TRAINING_RUN, PREANNOTATION = {"kind": "training-run"}, {"kind": "preannotation"}

app_name = "training"

urlpatterns = [
    path("training/", views.run_list, name="list"),
    path("training/runs/<int:run_id>/", views.run_detail, name="run"),
    path("training/runs/<int:run_id>/cancel/", views.run_cancel, name="run-cancel"),
    path("training/models/", views.model_list, name="models"),
    path("training/models/<int:model_id>/checkpoint/", views.model_download, name="model-download"),
    path("training/models/<int:model_id>/preannotate/", views.model_preannotate, name="model-preannotate"),
    path("training/models/<int:model_id>/live/<int:sequence_id>/", views.model_live, name="model-live"),
    path("training/models/<int:model_id>/live/<int:sequence_id>/stream/", views.model_live_stream,
         name="model-live-stream"),
    path("training/models/<int:model_id>/live/video/<int:video_id>/", views.model_live_video, name="model-live-video"),
    path("training/models/<int:model_id>/live/video/<int:video_id>/stream/", views.model_live_video_stream,
         name="model-live-video-stream"),
    path("training/live-videos/", views.live_video_upload, name="live-video-upload"),
    path("training/live-videos/<int:video_id>/delete/", views.live_video_delete, name="live-video-delete"),
    path("api/training-runs/<int:job_id>/", jobs_api.job_status, TRAINING_RUN, name="api-run"),
    path("api/models/<int:model_id>/preannotate/", api.preannotate, name="api-preannotate"),
    path("api/preannotations/<int:job_id>/", jobs_api.job_status, PREANNOTATION, name="api-preannotation"),
    path("api/preannotations/<int:job_id>/cancel/", jobs_api.job_cancel, PREANNOTATION,
         name="api-preannotation-cancel"),
]
