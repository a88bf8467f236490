package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// AllowDownloads makes Chromium save downloads into a fresh directory.
func AllowDownloads(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	if err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	return dir
}

// WaitDownload waits for a finished download whose name ends in suffix
// (besides those in seen) and returns its contents.
func WaitDownload(t *testing.T, dir, suffix string, seen map[string]bool) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			name := e.Name()
			if seen[name] || !strings.HasSuffix(name, suffix) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err == nil && len(b) > 0 {
				seen[name] = true
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s download in %s", suffix, dir)
	return nil
}
