"""Settings are chosen by CONNECTING_PEOPLE_ENV: local (default), production or test."""
