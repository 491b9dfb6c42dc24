"""What the Settings-page tests of API keys share."""

LIST_URL = "/settings/api-keys/"
CREATE_URL = "/settings/api-keys/new/"
