package web

import "github.com/labstack/echo/v4"

// Placeholders until the grid pages land: each answers 404.

// Grids lists the partner's price grids.
func (h *Handler) Grids(c echo.Context) error { return echo.ErrNotFound }

// NewGrid renders the form of a new grid.
func (h *Handler) NewGrid(c echo.Context) error { return echo.ErrNotFound }

// CreateGrid saves a new grid.
func (h *Handler) CreateGrid(c echo.Context) error { return echo.ErrNotFound }

// ImportGrid imports a grid from a CSV or JSON file.
func (h *Handler) ImportGrid(c echo.Context) error { return echo.ErrNotFound }

// ShowGrid renders a grid's editor and preview.
func (h *Handler) ShowGrid(c echo.Context) error { return echo.ErrNotFound }

// SaveGrid saves a new version of a grid.
func (h *Handler) SaveGrid(c echo.Context) error { return echo.ErrNotFound }

// RestoreGrid restores an earlier version of a grid.
func (h *Handler) RestoreGrid(c echo.Context) error { return echo.ErrNotFound }

// DeleteGrid deletes a grid.
func (h *Handler) DeleteGrid(c echo.Context) error { return echo.ErrNotFound }

// ExportGrid downloads a grid as CSV or JSON.
func (h *Handler) ExportGrid(c echo.Context) error { return echo.ErrNotFound }
