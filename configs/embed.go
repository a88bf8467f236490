// Package configs embeds the default configuration and the reference data,
// so the server binary runs on a fresh machine with no files beside it.
package configs

import "embed"

// FS holds config.yaml and the reference data files.
//
//go:embed config.yaml catalog.csv regions.csv institutions.yaml wechat.yaml
var FS embed.FS
