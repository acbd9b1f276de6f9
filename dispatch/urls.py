from django.urls import path

from . import api

urlpatterns = [
    path("tickets/", api.TicketsView.as_view(), name="tickets"),
    path("dispatch-queue/", api.DispatchQueueView.as_view(), name="dispatch-queue"),
    path("tickets/<str:number>/", api.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<str:number>/attachments/", api.AttachmentUploadView.as_view(), name="ticket-attachments"),
    *[
        path(f"tickets/<str:number>/{name}/", view.as_view(), name=f"ticket-{name}")
        for name, view in api.ACTION_VIEWS.items()
    ],
    path("categories/", api.CategoriesView.as_view(), name="categories"),
    path("knowledge/", api.KnowledgeSearchView.as_view(), name="knowledge"),
]
