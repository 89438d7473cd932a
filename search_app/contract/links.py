"""URLs of a result: its measure page, and its page of the plan document (a PDF served from the data folder or
a configured URL)."""

from __future__ import annotations

from pathlib import Path

from indexer.config import DataConfig, load_config


def measure_url(measure_id: str, year: int | None = None) -> str:
    """The measure's page, at one year's section if ``year`` is given."""
    return f"/measures/{measure_id}" + (f"#y{year}" if year is not None else "")


def plan_pdf_url(dataset: str) -> str:
    """Where plansearch serves a dataset's plan PDF from the data folder."""
    return f"/plans/{dataset}.pdf"


class Links:
    """Links to the plan documents of a data folder's datasets, as its ``plansearch.toml`` configures them."""

    def __init__(self, data_dir: Path | None = None, config: DataConfig | None = None) -> None:
        self.data_dir = data_dir
        self.config = config if config is not None else load_config(data_dir)

    def plan_url(self, dataset: str, page: int | None) -> str | None:
        """The plan document at a printed page (PDF page = printed page + the dataset's ``page_offset``), or
        None when the page is unknown or no plan document is configured."""
        if page is None:
            return None
        ds = self.config.by_slug(dataset)
        target = page + ds.page_offset
        if ds.plan_pdf and self.data_dir is not None and (self.data_dir / ds.plan_pdf).is_file():
            return f"{plan_pdf_url(dataset)}#page={target}"
        if ds.plan_url:
            return f"{ds.plan_url}#page={target}"
        return None
