from django.contrib import admin

from .models import ClassifierVersion


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at", "trained_on_tickets", "trained_on_corpus", "train_seconds", "library"]
    readonly_fields = [
        "version",
        "created_at",
        "trained_on_tickets",
        "trained_on_corpus",
        "train_seconds",
        "metrics",
        "library",
    ]
    exclude = ["model"]

    def has_add_permission(self, request):
        return False  # versions come from `manage.py train_classifier`
