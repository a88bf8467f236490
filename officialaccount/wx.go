// Package officialaccount is the WeChat front door: the official account's
// callback (binding, menu queries, booking-number lookup, QR scans), QR
// login and binding for the web console, template pushes of notifications,
// and the SDK plumbing shared with the mini program login. Every call to
// WeChat goes through silenceper/wechat and one http.Client; without real
// credentials that client is pointed at the in-process API sandbox.
package officialaccount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	mpsdk "github.com/silenceper/wechat/v2/miniprogram"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	oasdk "github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/redisstore"
)

// Settings are the credentials and endpoints of both WeChat apps.
type Settings struct {
	APIBase   string // "" → WeChat itself; otherwise every *.weixin.qq.com call goes here
	OAAppID   string
	OASecret  string
	OAToken   string
	OAAESKey  string
	MPAppID   string
	MPSecret  string
	PublicURL string // the console, for links in replies and template messages
}

// rewriteTransport sends every WeChat host to base (the sandbox).
// silenceper's SetURIModifier misses some calls, so the client does it.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Hostname(), "weixin.qq.com") {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
		r.Host = t.base.Host
	}
	return t.next.RoundTrip(r)
}

// HTTPClient returns the client every WeChat call uses.
func HTTPClient(apiBase string, timeout time.Duration) (*http.Client, error) {
	c := &http.Client{Timeout: timeout, Transport: http.DefaultTransport}
	if apiBase != "" {
		u, err := url.Parse(apiBase)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("QJ_WECHAT_API_BASE %q is not a URL", apiBase)
		}
		c.Transport = rewriteTransport{base: u, next: http.DefaultTransport}
	}
	return c, nil
}

var setClientOnce sync.Mutex

// The SDK logs through logrus' global logger (signature failures, debug
// dumps of every message). Our handlers log what matters through slog.
func init() { logrus.SetOutput(io.Discard) }

// UseHTTPClient makes the SDK use c. The SDK's client is process-global:
// set it once, at start.
func UseHTTPClient(c *http.Client) {
	setClientOnce.Lock()
	defer setClientOnce.Unlock()
	util.DefaultHTTPClient = c
}

// redisCache adapts go-redis v9 to the SDK's cache.Cache: Get returns a
// string or nil, as the SDK's token code expects.
type redisCache struct{ r *redisstore.Client }

func (c redisCache) Get(key string) interface{} {
	v, err := c.r.RDB.Get(context.Background(), c.r.Key("wxsdk", key)).Result()
	if err != nil {
		return nil
	}
	return v
}

func (c redisCache) Set(key string, val interface{}, timeout time.Duration) error {
	return c.r.RDB.Set(context.Background(), c.r.Key("wxsdk", key), fmt.Sprint(val), timeout).Err()
}

func (c redisCache) IsExist(key string) bool {
	n, _ := c.r.RDB.Exists(context.Background(), c.r.Key("wxsdk", key)).Result()
	return n > 0
}

func (c redisCache) Delete(key string) error {
	return c.r.RDB.Del(context.Background(), c.r.Key("wxsdk", key)).Err()
}

var _ cache.Cache = redisCache{}

// sharedToken is the access token every instance shares: a stable token
// cached in Redis, fetched by one instance at a time (a Redis lock), so a
// fleet starting together fetches it once.
type sharedToken struct {
	stable *credential.StableAccessToken
	r      *redisstore.Client
	appID  string
}

func newSharedToken(appID, secret string, r *redisstore.Client) *sharedToken {
	h := credential.NewStableAccessToken(appID, secret, "qj", redisCache{r}).(*credential.StableAccessToken)
	return &sharedToken{stable: h, r: r, appID: appID}
}

func (t *sharedToken) key() string { return t.r.Key("wxtoken", t.appID) }

func (t *sharedToken) GetAccessToken() (string, error) {
	return t.GetAccessTokenContext(context.Background())
}

func (t *sharedToken) GetAccessTokenContext(ctx context.Context) (string, error) {
	return t.get(ctx, false)
}

func (t *sharedToken) get(ctx context.Context, force bool) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if !force {
			if tok, err := t.r.RDB.Get(ctx, t.key()).Result(); err == nil && tok != "" {
				return tok, nil
			}
		}
		lock := t.r.Key("wxtoken-lock", t.appID)
		ok, err := t.r.RDB.SetNX(ctx, lock, "1", 15*time.Second).Result()
		if err != nil {
			return "", err
		}
		if ok {
			defer t.r.RDB.Del(context.WithoutCancel(ctx), lock)
			if !force {
				if tok, err := t.r.RDB.Get(ctx, t.key()).Result(); err == nil && tok != "" {
					return tok, nil
				}
			}
			res, err := t.stable.GetAccessTokenDirectly(ctx, force)
			if err != nil {
				return "", err
			}
			ttl := time.Duration(res.ExpiresIn-300) * time.Second
			if ttl <= 0 {
				ttl = time.Minute
			}
			if err := t.r.RDB.Set(ctx, t.key(), res.AccessToken, ttl).Err(); err != nil {
				return "", err
			}
			return res.AccessToken, nil
		}
		if time.Now().After(deadline) {
			return "", errors.New("waiting for the access token timed out")
		}
		force = false // another instance is fetching: use what it stores
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Client is the SDK, configured for both apps.
type Client struct {
	S       Settings
	OA      *oasdk.OfficialAccount
	MP      *mpsdk.MiniProgram
	oaToken *sharedToken
	http    *http.Client
}

// NewClient configures the SDK for both apps with shared tokens.
func NewClient(s Settings, r *redisstore.Client, hc *http.Client) *Client {
	oa := oasdk.NewOfficialAccount(&oaconfig.Config{AppID: s.OAAppID, AppSecret: s.OASecret, Token: s.OAToken,
		EncodingAESKey: s.OAAESKey, Cache: redisCache{r}, UseStableAK: true})
	tok := newSharedToken(s.OAAppID, s.OASecret, r)
	oa.SetAccessTokenHandle(tok)
	mp := mpsdk.NewMiniProgram(&mpconfig.Config{AppID: s.MPAppID, AppSecret: s.MPSecret, Cache: redisCache{r}, UseStableAK: true})
	mp.SetAccessTokenHandle(newSharedToken(s.MPAppID, s.MPSecret, r))
	return &Client{S: s, OA: oa, MP: mp, oaToken: tok, http: hc}
}

var reErrcode = regexp.MustCompile(`errcode=(-?\d+)`)

// errcodeOf extracts WeChat's errcode from an SDK error, or 0.
func errcodeOf(err error) int {
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode)
	}
	if err != nil {
		if m := reErrcode.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// Send sends a template message (wechat.Sender).
func (c *Client) Send(ctx context.Context, m wechat.Outgoing) (int64, int, error) {
	msg := &message.TemplateMessage{ToUser: m.OpenID, TemplateID: m.TemplateID, URL: m.URL, ClientMsgID: m.ClientMsgID,
		Data: map[string]*message.TemplateDataItem{}}
	for k, v := range m.Fields {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	id, err := c.OA.GetTemplate().Send(msg)
	if err == nil {
		return id, 0, nil
	}
	if code := errcodeOf(err); code != 0 {
		return 0, code, nil
	}
	return 0, 0, err
}

// RefreshToken forces a new official account token (wechat.Sender).
func (c *Client) RefreshToken(ctx context.Context) error {
	_, err := c.oaToken.get(ctx, true)
	return err
}

// QRTicket creates a temporary QR code whose scan sends scene to the callback.
func (c *Client) QRTicket(ctx context.Context, scene string, ttl time.Duration) (string, error) {
	t, err := c.OA.GetBasic().GetQRTicket(basic.NewTmpQrRequest(ttl, scene))
	if err != nil {
		return "", err
	}
	return t.Ticket, nil
}

// QRImage fetches the PNG of a ticket (so the console can show it whether
// WeChat or the sandbox made it).
func (c *Client) QRImage(ctx context.Context, ticket string) ([]byte, error) {
	u := basic.ShowQRCode(&basic.Ticket{Ticket: ticket})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("showqrcode: %s", res.Status)
	}
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}

// UnionID returns the unionid of an official account follower ("" when
// WeChat does not tell).
func (c *Client) UnionID(ctx context.Context, openID string) (string, error) {
	info, err := c.OA.GetUser().GetUserInfo(openID)
	if err != nil {
		return "", err
	}
	return info.UnionID, nil
}

// OAuthURL is where the binding page sends the browser for snsapi_base.
func (c *Client) OAuthURL(redirect, state string) (string, error) {
	return c.OA.GetOauth().GetRedirectURL(redirect, "snsapi_base", state)
}

// OAuthOpenID exchanges an OAuth code for the openid (and unionid).
func (c *Client) OAuthOpenID(ctx context.Context, code string) (string, string, error) {
	res, err := c.OA.GetOauth().GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", "", err
	}
	return res.OpenID, res.UnionID, nil
}

// Code2Session exchanges a wx.login code; the session key never leaves here.
func (c *Client) Code2Session(ctx context.Context, code string) (openID, unionID string, errcode int, err error) {
	res, err := c.MP.GetAuth().Code2SessionContext(ctx, code)
	if err != nil {
		return "", "", errcodeOf(err), err
	}
	return res.OpenID, res.UnionID, 0, nil
}

// PhoneNumber exchanges a getPhoneNumber code for the pure phone number.
func (c *Client) PhoneNumber(ctx context.Context, code string) (string, int, error) {
	res, err := c.MP.GetAuth().GetPhoneNumberContext(ctx, code)
	if err != nil {
		return "", errcodeOf(err), err
	}
	return res.PhoneInfo.PurePhoneNumber, 0, nil
}

// MenuButton is a menu entry of configs/wechat.yaml.
type MenuButton struct {
	Name string       `yaml:"name"`
	Key  string       `yaml:"key"`
	URL  string       `yaml:"url"`
	Sub  []MenuButton `yaml:"sub"`
}

// PushMenu creates the official account's menu.
func (c *Client) PushMenu(buttons []MenuButton) error {
	var out []*menu.Button
	for _, b := range buttons {
		mb := &menu.Button{Name: b.Name}
		switch {
		case len(b.Sub) > 0:
			for _, s := range b.Sub {
				sb := &menu.Button{Name: s.Name}
				if s.URL != "" {
					sb.SetViewButton(s.Name, strings.ReplaceAll(s.URL, "{publicURL}", c.S.PublicURL))
				} else {
					sb.SetClickButton(s.Name, s.Key)
				}
				mb.SubButtons = append(mb.SubButtons, sb)
			}
		case b.URL != "":
			mb.SetViewButton(b.Name, strings.ReplaceAll(b.URL, "{publicURL}", c.S.PublicURL))
		default:
			mb.SetClickButton(b.Name, b.Key)
		}
		out = append(out, mb)
	}
	return c.OA.GetMenu().SetMenu(out)
}

// redisPauser is the shared "quota reached" pause (wechat.Pauser).
type redisPauser struct{ r *redisstore.Client }

func (p redisPauser) PausedUntil(ctx context.Context) (time.Time, error) {
	v, err := p.r.RDB.Get(ctx, p.r.Key("wxpause")).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(v), nil
}

func (p redisPauser) PauseUntil(ctx context.Context, t time.Time) error {
	return p.r.RDB.Set(ctx, p.r.Key("wxpause"), t.UnixMilli(), time.Until(t)+time.Minute).Err()
}

// NewPauser returns the Redis-backed pause shared by every instance.
func NewPauser(r *redisstore.Client) wechat.Pauser { return redisPauser{r} }
