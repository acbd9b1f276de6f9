from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def grid_map(request):
    """The four levels as toggleable layers over a base map drawn from our own data."""
    return render(request, "maps/grid.html")
