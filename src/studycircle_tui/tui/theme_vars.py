"""The app's own theme variables ($unread, $accepted, $verified, $mention, $hidden-post).

Defaults come from the current theme's own colours, so every theme works, built-in ones
included; a theme file may set any of them in its ``variables``.
"""

from textual.theme import Theme


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    colors = theme.to_color_system().generate()
    return {
        "unread": colors["warning"],
        "accepted": colors["success"],
        "verified": colors.get("primary-lighten-2", colors["primary"]),
        "mention": colors["accent"],
        "hidden-post": colors["warning"],
    }
