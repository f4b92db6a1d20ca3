from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    DIRECTOR = "director", "Account director"
    MANAGER = "manager", "Account manager"
    OPERATIONS = "operations", "Account operations manager"
    EXECUTIVE = "executive", "Account executive"
    SPONSOR = "sponsor", "Executive sponsor"
    FINANCE = "finance", "Finance"
