/*
 * Network input preparation exactly as face-api's NetInput.toBatchTensor:
 * a rectangle of the image is padded to a square with zeros (at the
 * bottom/right for the detectors, centred for the landmark and
 * recognition nets), resized with TensorFlow's legacy bilinear mapping and
 * normalised per net.
 */
#ifndef PREP_H
#define PREP_H

#include "image.h"

/* value = (x - mean) / div + offset, each step rounded to float32 as tfjs. */
struct prep_norm {
	float	mean[3];
	float	div;
	float	offset;
};

extern const struct prep_norm prep_norm_tiny;	/* TinyFaceDetector */
extern const struct prep_norm prep_norm_ssd;	/* SsdMobilenetv1: x/127.5 - 1 */
extern const struct prep_norm prep_norm_face;	/* landmark and recognition */

struct prep_rect {
	int	x;
	int	y;
	int	w;
	int	h;
};

/*
 * Fills OUT (SIZE * SIZE * 3 floats, NHWC) from rectangle R of IMG, which
 * must lie inside it: padded to a square (CENTER: centred, else at the
 * top-left), resized to SIZE, normalised with NORM.
 */
void	prep_input(const struct image *, const struct prep_rect *r, int size,
	    int center, const struct prep_norm *, float *out);

/*
 * Clips the float box (x, y, w, h) to an image of IMG_W x IMG_H and floors
 * it as face-api's extractFaceTensors does. Returns 0 and the rectangle in
 * R, or -1 if it is empty (face-api drops such a face).
 */
int	prep_crop_box(int img_w, int img_h, double x, double y, double w,
	    double h, struct prep_rect *r);

#endif
