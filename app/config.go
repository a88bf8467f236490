// Package app wires configuration, stores, core services and the three
// front doors into one server.
package app

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gdqjp/qj/configs"
)

// Config is the whole configuration: configs/config.yaml defaults, then an
// optional file named by QJ_CONFIG, then environment variables.
type Config struct {
	HTTP struct {
		Addr         string `yaml:"addr"`
		PublicURL    string `yaml:"publicURL"`
		CookieSecure bool   `yaml:"cookieSecure"`
	} `yaml:"http"`
	DataDir string `yaml:"dataDir"`
	Mongo   struct {
		URI      string `yaml:"uri"`
		Database string `yaml:"database"`
	} `yaml:"mongo"`
	Redis struct {
		URL    string `yaml:"url"`
		Prefix string `yaml:"prefix"`
	} `yaml:"redis"`
	RefdataDir string `yaml:"refdataDir"`
	Demo       bool   `yaml:"demo"`
	LogLevel   string `yaml:"logLevel"`
	WeChat     struct {
		APIBase string `yaml:"apiBase"`
		OA      struct {
			AppID  string `yaml:"appID"`
			Secret string `yaml:"secret"`
			Token  string `yaml:"token"`
			AESKey string `yaml:"aesKey"`
		} `yaml:"oa"`
		MP struct {
			AppID  string `yaml:"appID"`
			Secret string `yaml:"secret"`
		} `yaml:"mp"`
	} `yaml:"wechat"`
	Security struct {
		BcryptCost       int           `yaml:"bcryptCost"`
		SessionTTL       time.Duration `yaml:"sessionTTL"`
		MaxLoginFailures int           `yaml:"maxLoginFailures"`
		LockDuration     time.Duration `yaml:"lockDuration"`
	} `yaml:"security"`
}

// envVar binds one environment variable to a config field.
type envVar struct {
	name string
	set  func(c *Config, v string) error
	show func(c *Config) string
}

func str(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }
}

func boolean(p func(*Config) *bool) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("应为 true/false 或 1/0")
			}
			*p(c) = b
			return nil
		}, func(c *Config) string {
			return strconv.FormatBool(*p(c))
		}
}

func dur(p func(*Config) *time.Duration) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("应为时长，如 12h、15m")
			}
			*p(c) = d
			return nil
		}, func(c *Config) string {
			return p(c).String()
		}
}

func integer(p func(*Config) *int) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("应为整数")
			}
			*p(c) = n
			return nil
		}, func(c *Config) string {
			return strconv.Itoa(*p(c))
		}
}

func ev(name string) func(func(*Config, string) error, func(*Config) string) envVar {
	return func(f func(*Config, string) error, s func(*Config) string) envVar { return envVar{name, f, s} }
}

// envVars is the configuration table of the README, in order.
var envVars = []envVar{
	ev("QJ_HTTP_ADDR")(str(func(c *Config) *string { return &c.HTTP.Addr })),
	ev("QJ_PUBLIC_URL")(str(func(c *Config) *string { return &c.HTTP.PublicURL })),
	ev("QJ_COOKIE_SECURE")(boolean(func(c *Config) *bool { return &c.HTTP.CookieSecure })),
	ev("QJ_DATA_DIR")(str(func(c *Config) *string { return &c.DataDir })),
	ev("QJ_MONGO_URI")(str(func(c *Config) *string { return &c.Mongo.URI })),
	ev("QJ_MONGO_DB")(str(func(c *Config) *string { return &c.Mongo.Database })),
	ev("QJ_REDIS_URL")(str(func(c *Config) *string { return &c.Redis.URL })),
	ev("QJ_REDIS_PREFIX")(str(func(c *Config) *string { return &c.Redis.Prefix })),
	ev("QJ_REFDATA_DIR")(str(func(c *Config) *string { return &c.RefdataDir })),
	ev("QJ_DEMO")(boolean(func(c *Config) *bool { return &c.Demo })),
	ev("QJ_LOG_LEVEL")(str(func(c *Config) *string { return &c.LogLevel })),
	ev("QJ_WECHAT_API_BASE")(str(func(c *Config) *string { return &c.WeChat.APIBase })),
	ev("QJ_OA_APPID")(str(func(c *Config) *string { return &c.WeChat.OA.AppID })),
	ev("QJ_OA_SECRET")(str(func(c *Config) *string { return &c.WeChat.OA.Secret })),
	ev("QJ_OA_TOKEN")(str(func(c *Config) *string { return &c.WeChat.OA.Token })),
	ev("QJ_OA_AESKEY")(str(func(c *Config) *string { return &c.WeChat.OA.AESKey })),
	ev("QJ_MP_APPID")(str(func(c *Config) *string { return &c.WeChat.MP.AppID })),
	ev("QJ_MP_SECRET")(str(func(c *Config) *string { return &c.WeChat.MP.Secret })),
	ev("QJ_BCRYPT_COST")(integer(func(c *Config) *int { return &c.Security.BcryptCost })),
	ev("QJ_SESSION_TTL")(dur(func(c *Config) *time.Duration { return &c.Security.SessionTTL })),
	ev("QJ_MAX_LOGIN_FAILURES")(integer(func(c *Config) *int { return &c.Security.MaxLoginFailures })),
	ev("QJ_LOCK_DURATION")(dur(func(c *Config) *time.Duration { return &c.Security.LockDuration })),
}

// LoadConfig builds the configuration; getenv is os.Getenv outside tests.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	raw, err := configs.FS.ReadFile("config.yaml")
	if err != nil {
		return c, err
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("configs/config.yaml: %w", err)
	}
	if path := getenv("QJ_CONFIG"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("QJ_CONFIG: %w", err)
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	for _, e := range envVars {
		if v, ok := lookup(getenv, e.name); ok {
			if err := e.set(&c, v); err != nil {
				return c, fmt.Errorf("环境变量 %s=%q 无效: %v", e.name, v, err)
			}
		}
	}
	if c.Mongo.URI != "" && c.Mongo.Database == "" {
		c.Mongo.Database = "qj"
	}
	if c.Security.BcryptCost < 4 || c.Security.BcryptCost > 31 {
		return c, fmt.Errorf("bcryptCost 应在 4–31 之间")
	}
	c.HTTP.PublicURL = strings.TrimSuffix(c.HTTP.PublicURL, "/")
	return c, nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// MaskURL hides the password of a connection URL.
func MaskURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "****"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "****")
		}
	}
	return u.String()
}

// Print writes the effective configuration with secrets masked.
func (c Config) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "effective configuration:")
	for _, e := range envVars {
		v := e.show(&c)
		switch e.name {
		case "QJ_MONGO_URI", "QJ_REDIS_URL":
			v = MaskURL(v)
		case "QJ_OA_SECRET", "QJ_OA_TOKEN", "QJ_OA_AESKEY", "QJ_MP_SECRET":
			if v != "" {
				v = "****"
			}
		}
		if v == "" {
			v = "(empty)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", e.name, v)
	}
	tw.Flush()
}
