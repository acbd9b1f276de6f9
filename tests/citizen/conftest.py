import pytest


@pytest.fixture
def fresh_classifier(db):
    """No classifier version: every report goes to the manual queue for its category."""
    from classify import services
    from classify.models import ClassifierVersion

    ClassifierVersion.objects.all().delete()  # rolled back after the test
    services.forget_model()
    yield
    services.forget_model()
