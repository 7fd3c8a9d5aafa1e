package pool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
)

// fakeDriver is the least a database/sql driver must be: connections that
// open instantly and support nothing but Close.
type fakeDriver struct{}

type fakeConn struct{}

var errUnsupported = errors.New("bench/pool: fake driver supports only connections")

func (fakeDriver) Open(string) (driver.Conn, error)       { return fakeConn{}, nil }
func (fakeConn) Prepare(string) (driver.Stmt, error)      { return nil, errUnsupported }
func (fakeConn) Close() error                             { return nil }
func (fakeConn) Begin() (driver.Tx, error)                { return nil, errUnsupported }
func (fakeConn) ResetSession(context.Context) error       { return nil }
func (fakeConn) IsValid() bool                            { return true }
func (fakeConn) Ping(context.Context) error               { return nil }
func (fakeConn) CheckNamedValue(*driver.NamedValue) error { return nil }
func (fakeConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nil, errUnsupported
}

var registerOnce sync.Once

type sqlPool struct{ db *sql.DB }

// NewSQL returns database/sql's pool (through the fake driver) capped at
// conns open connections, all of them kept idle, prefilled.
func NewSQL(conns int) Pooler {
	registerOnce.Do(func() { sql.Register("benchpoolfake", fakeDriver{}) })
	db, err := sql.Open("benchpoolfake", "")
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	prefill(db.Conn, func(c *sql.Conn) { _ = c.Close() }, conns)
	return sqlPool{db}
}

func (p sqlPool) Acquire(ctx context.Context) (any, error) { return p.db.Conn(ctx) }
func (p sqlPool) Release(h any)                            { _ = h.(*sql.Conn).Close() }
func (p sqlPool) Close()                                   { _ = p.db.Close() }
