package web

import (
	"context"

	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/web/i18n"
)

// listPageSize is how many rows a page of a list shows.
const listPageSize = 50

// pageOf is the page of rows the request asks for (query parameter
// "page"), and the controls to the others.
func pageOf[T any](c echo.Context, rows []T) ([]T, components.Pagination) {
	sp, p := paginate(c.Request().Context(), c.Request().URL, "page", len(rows), listPageSize)
	return rows[sp.lo:sp.hi], p
}

// span is the rows [lo, hi) of one page of a list.
type span struct{ lo, hi int }

// paginate picks the page a list shows from the query parameter param (from
// 1; anything else is the first page, past the end the last) and returns its
// rows and the data table's pagination controls, whose links keep the rest
// of the query.
func paginate(ctx context.Context, u *url.URL, param string, total, size int) (span, components.Pagination) {
	pages := max(1, (total+size-1)/size)
	page, err := strconv.Atoi(u.Query().Get(param))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, pages)
	link := func(n int) string {
		q := u.Query()
		q.Set(param, strconv.Itoa(n))
		return u.Path + "?" + q.Encode()
	}
	p := components.Pagination{Page: page, Pages: pages,
		Label:     i18n.T(ctx, "pager.label", map[string]any{"Page": page, "Pages": pages, "Total": total}),
		PrevLabel: i18n.T(ctx, "pager.prev"), NextLabel: i18n.T(ctx, "pager.next")}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	return span{lo: min(total, (page-1)*size), hi: min(total, page*size)}, p
}
