package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot"
)

// Channels keeps channel settings in table channel_settings, so that a
// /brief settings change made through one replica holds on every replica
// ([bot.ChannelBackend]).
type Channels struct {
	pool *pgxpool.Pool
}

var _ bot.ChannelBackend = (*Channels)(nil)

// NewChannels returns the channel settings table.
func NewChannels(pool *pgxpool.Pool) *Channels { return &Channels{pool: pool} }

// LoadChannels reads every channel's settings.
func (c *Channels) LoadChannels(ctx context.Context) (map[string]bot.ChannelSettings, error) {
	rows, err := c.pool.Query(ctx, `SELECT key, settings FROM channel_settings`)
	if err != nil {
		return nil, fmt.Errorf("cluster: channel settings: %w", err)
	}
	defer rows.Close()
	out := map[string]bot.ChannelSettings{}
	for rows.Next() {
		var key string
		var raw []byte
		if err := rows.Scan(&key, &raw); err != nil {
			return nil, fmt.Errorf("cluster: channel settings: %w", err)
		}
		var s bot.ChannelSettings
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("cluster: channel settings of %s: %w", key, err)
		}
		out[key] = s
	}
	return out, rows.Err()
}

// SaveChannel stores one channel's settings.
func (c *Channels) SaveChannel(ctx context.Context, key string, s bot.ChannelSettings) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = c.pool.Exec(ctx, `INSERT INTO channel_settings (key, settings, updated_at) VALUES ($1, $2, now())
ON CONFLICT (key) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`, key, raw)
	if err != nil {
		return fmt.Errorf("cluster: save channel settings: %w", err)
	}
	return nil
}
